/**
 * Fake `lms` executables for the fault suite: small POSIX shell scripts (a shell starts in a
 * millisecond; node would cost ~80 ms a run) that answer every command the core sends the way
 * the current lms does, from the recorded fixtures, unless a fault's prelude decides otherwise.
 *
 * The marker that lets the suite find them in /proc comes from the environment the runner gives
 * them (`createLmsCli`'s `env`, the core's `Environment.env`), so everything they start inherits it.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../../electron/core/lmstudio/lms/fixtures/', import.meta.url));

/** Events in the recording `log stream` prints (log-stream-current.stdout.fixture.txt). */
export const LOG_STREAM_EVENTS = 14;

/** The model `lms get` downloads until it is interrupted (any other completes at once). */
export const ENDLESS_MODEL = 'qwen/endless-4b';

/** The JSON the fake prints for `ls --json` and `ps --json` (`$BAD` lets a fault slip bytes into names). */
const LS_JSON =
  '[{"type":"llm","modelKey":"qwen/qwen3-4b","format":"gguf","displayName":"Qwen3 4B%s","sizeBytes":2497280000}]';
const PS_JSON =
  '[{"type":"llm","modelKey":"qwen/qwen3-4b","identifier":"qwen/qwen3-4b","displayName":"Qwen3 4B%s","contextLength":4096,"ttlMs":null,"lastUsedTime":null,"status":"idle"}]';

/**
 * `answer "$@"` does what the current lms does for the command. `get ENDLESS_MODEL` redraws its
 * bar until SIGINT, then asks the Y/N question and obeys the answer, as lms does.
 */
const ANSWER = String.raw`
answer() {
  case "$1" in
    server)
      case "$2" in
        status) printf '{"running":true,"port":1234}\n' ;;
        start) printf 'Success! Server is now running on port 1234\n' >&2 ;;
        stop) printf 'Stopped the server on port 1234.\n' >&2 ;;
      esac ;;
    daemon)
      if [ "$3" = --json ]; then printf '{"status":"running","pid":4242,"isDaemon":true}\n'
      else printf 'LM Studio v0.4.2 is running (PID: 4242)\n'; fi ;;
    log) log_stream ;;
    version) printf '{"version":"f13588d"}\n' ;;
    ls) printf '${LS_JSON}\n' "$BAD" ;;
    ps) printf '${PS_JSON}\n' "$BAD" ;;
    load)
      if [ "$2" = --estimate-only ]; then cat "$FIX/estimate-gib-pass.stderr.fixture.txt" >&2
      else cat "$FIX/load-current.stdout.fixture.txt"; cat "$FIX/load-current.stderr.fixture.txt" >&2; fi ;;
    runtime) cat "$FIX/runtime-survey-integrated.stdout.fixture.txt" ;;
    unload)
      if [ "$2" = --all ]; then printf 'Unloading "qwen/qwen3-4b"...\nUnloaded 1 model.\n' >&2
      else printf 'Model "%s" unloaded.\n' "$2" >&2; fi ;;
    get)
      if [ "$3" = '${ENDLESS_MODEL}' ]; then endless_download; fi
      cat "$FIX/get-completed.stdout.fixture.txt"; cat "$FIX/get-completed.stderr.fixture.txt" >&2 ;;
    *) printf "error: unknown command '%s'\n" "$1" >&2; exit 1 ;;
  esac
}
log_stream() {
  # The banner, then the recorded events (after a line break: a fault's unfinished line before
  # them stays its own line), then it follows until SIGINT or SIGTERM, and exits 0 (protocol-2 §1).
  sleep 1000 &
  trap 'kill $! 2>/dev/null; exit 0' INT TERM
  cat "$FIX/log-stream-banner.stderr.fixture.txt" >&2
  printf '\n'; cat "$FIX/log-stream-current.stdout.fixture.txt"; printf '\n'
  wait $!
}
endless_download() {
  trap 'printf "Continue to download in the background? (Y/N): " >&2; read reply
    if [ "$reply" = N ]; then printf "W Download canceled.\n" >&2; else printf "Download will continue in the background.\n" >&2; fi
    exit 1' INT
  printf 'Resolution completed. Downloading 2.50 GB...\n'
  mb=0
  while :; do
    mb=$((mb + 1))
    printf '\033[s\r⠋ [█                     ] 1.00%% | %d.00 MB /   2.50 GB |  50.00 MB/s | ETA 00:25          \033[u' $mb
    sleep 0.05
  done
}
`;

/** Environment variable: the status commands say "LM Studio runs, its server is off" whatever the fault. */
export const SERVER_STOPPED_VARIABLE = 'FAKE_LMS_SERVER_STOPPED';

/**
 * With SERVER_STOPPED_VARIABLE=1, `daemon status` and `server status` answer before the fault
 * does: the core then sees LM Studio running with its server off, the state in which every list,
 * load and unload goes through `lms`, so the fault meets all of them.
 */
const SERVER_STOPPED = String.raw`
if [ "$${SERVER_STOPPED_VARIABLE}" = 1 ]; then
  case "$1 $2" in
    "daemon status") if [ "$3" = --json ]; then printf '{"status":"running","pid":4242}\n'; else printf 'LM Studio v0.4.2 is running (PID: 4242)\n'; fi; exit 0 ;;
    "server status") printf '{"running":false,"port":1234}\n'; exit 0 ;;
  esac
fi
`;

export interface FakeScript {
  /** Shell lines run before the answer; they may `exit`, or end with `answer "$@"`. */
  prelude: string;
  /** Raw bytes for `$BAD` (invalid UTF-8 and such); empty by default. */
  bad?: Buffer;
  /** File mode; 0o755 unless a fault wants it otherwise. */
  mode?: number;
}

/** Writes `dir/lms` for the script and returns its path. */
export async function writeFakeLms(dir: string, script: FakeScript): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'lms');
  const head = Buffer.from(`#!/bin/sh\nFIX='${FIXTURES}'\nBAD='`);
  const rest = Buffer.from(`'\n${ANSWER}\n${SERVER_STOPPED}\n${script.prelude}\n`);
  await writeFile(file, Buffer.concat([head, script.bad ?? Buffer.alloc(0), rest]));
  await chmod(file, script.mode ?? 0o755);
  return file;
}

/** The normal behaviour: every command answered as the current lms does. */
export const NORMAL_PRELUDE = 'answer "$@"';
