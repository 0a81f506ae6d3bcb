/**
 * `Memory used by models`: the loaded models' file sizes against the machine's memory, shown
 * in the Activity region and loaded on demand with it. Asked with `models:memory` when it mounts, when the loaded list
 * changes and when the page is shown again, never on a timer. In GiB, as LM Studio shows memory.
 */
import { useEffect, useRef, useState } from 'react';
import type { MemoryUse, MemoryUseAnswer } from '../../../electron/shared/contract';
import { useActions, useCssVariables, useTray } from '../context';
import { formatGib } from '../memory-text';

/**
 * `About 9.8 GiB of 64 GiB used by models · 21.3 GiB free`. "About": a model's context cache is
 * extra. With `runtime survey`'s total (RAM and VRAM as LM Studio counts them) it says so.
 */
export function memoryUseText(memory: MemoryUse): string {
  const total =
    memory.totalFrom === 'runtime-survey' && memory.vramTotalBytes !== null
      ? `${formatGib(memory.totalBytes)} (RAM and VRAM)`
      : formatGib(memory.totalBytes);
  const free = `${formatGib(memory.ramFreeBytes)} ${memory.totalFrom === 'os' ? 'free' : 'RAM free'}`;
  return `About ${formatGib(memory.modelsBytes)} of ${total} used by models · ${free}`;
}

export function MemoryMeter() {
  const { ask } = useActions();
  const loaded = useTray((s) => s.models?.loaded.map((l) => l.identifier).join('\n') ?? '');
  const [answer, setAnswer] = useState<MemoryUseAnswer | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a change of what is loaded is a reason to ask again
  useEffect(() => {
    let current = true;
    const read = () => {
      if (document.visibilityState === 'hidden') return;
      void ask('models:memory').then((result) => {
        // A refused command (an older core) shows nothing rather than a stale or alarming figure.
        if (current) setAnswer(result.ok ? result.value : null);
      });
    };
    read();
    document.addEventListener('visibilitychange', read);
    return () => {
      current = false;
      document.removeEventListener('visibilitychange', read);
    };
  }, [ask, loaded]);

  if (!answer) return null;
  if (!answer.known) return <p className="hint meter-line">{answer.reason}</p>;
  return <Meter memory={answer.memory} />;
}

function Meter({ memory }: { memory: MemoryUse }) {
  const ref = useRef<HTMLDivElement>(null);
  const text = memoryUseText(memory);
  const share = memory.totalBytes > 0 ? Math.min(1, memory.modelsBytes / memory.totalBytes) : 0;
  useCssVariables(ref, { '--progress': String(share) });
  return (
    <div className="meter-line">
      {/* biome-ignore lint/a11y/useSemanticElements: a native <meter> cannot be styled alike across browsers, nor carry the bar's CSS variable fill */}
      <div
        ref={ref}
        role="meter"
        aria-label="Memory used by models"
        aria-valuemin={0}
        aria-valuemax={memory.totalBytes}
        aria-valuenow={Math.min(memory.modelsBytes, memory.totalBytes)}
        aria-valuetext={text}
        className="progress meter"
      >
        <div className="progress__fill" />
      </div>
      <p className="hint">{text}</p>
    </div>
  );
}
