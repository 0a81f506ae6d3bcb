/** `ProgressBar.ts` and `Spinner.ts` of lms: timers redraw on stdout with `\r`, escape codes and no newline. */
import { PROGRESS_BAR_STOP, progressBarWrites, SPINNER_FRAMES, SPINNER_STOP } from '../format';
import { stdout } from './output';

/** Redraws every 50 ms and on each `setRatio`; clears the line at most every 3 s. */
export class ProgressBar {
  private ratio = 0;
  private text = '';
  private spinnerIndex = 0;
  private lastClearTime = 0;
  private timer: NodeJS.Timeout | null;

  constructor(private readonly totalBlocks: number) {
    this.timer = setInterval(() => {
      this.spinnerIndex++;
      this.refresh();
    }, 50);
  }

  setRatio(ratio: number, text?: string): void {
    this.ratio = Math.max(0, Math.min(1, ratio));
    this.text = text ?? '';
    this.refresh();
  }

  get stopped(): boolean {
    return this.timer === null;
  }

  /** Clears the bar and shows the cursor. */
  stop(): void {
    if (!this.halt()) return;
    stdout(PROGRESS_BAR_STOP);
  }

  /** Freezes the bar where it is (the SIGINT prompt follows) and shows the cursor. */
  stopWithoutClear(): void {
    if (!this.halt()) return;
    stdout('\x1b[?25h');
  }

  private halt(): boolean {
    if (this.timer === null) return false;
    clearInterval(this.timer);
    this.timer = null;
    return true;
  }

  private refresh(): void {
    const clearLine = this.lastClearTime + 3000 < Date.now();
    if (clearLine) this.lastClearTime = Date.now();
    for (const write of progressBarWrites({
      ratio: this.ratio,
      text: this.text,
      spinnerIndex: this.spinnerIndex,
      totalBlocks: this.totalBlocks,
      clearLine,
    })) {
      stdout(write);
    }
  }
}

/** Redraws `\x1b[?25l` + `\r<text> <frame>` every 80 ms and on `setText`. */
export class Spinner {
  private spinnerIndex = 0;
  private timer: NodeJS.Timeout | null;

  constructor(private text: string) {
    this.timer = setInterval(() => {
      this.spinnerIndex++;
      this.refresh();
    }, 80);
  }

  setText(text: string): void {
    this.text = text;
    this.refresh();
  }

  stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
    stdout(SPINNER_STOP);
  }

  private refresh(): void {
    stdout('\x1b[?25l');
    stdout(`\r${this.text} ${SPINNER_FRAMES[this.spinnerIndex % SPINNER_FRAMES.length]}`);
  }
}
