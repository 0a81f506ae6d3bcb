/** Shared by the simulator's tests: simulators and fake `lms` children that are always cleaned up. */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { afterEach } from 'vitest';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../../e2e/simulator/index';

const simulators: Simulator[] = [];
const children: ChildProcess[] = [];

/** Registers the afterEach that kills every fake `lms` still running and closes every simulator. */
export function cleanUpAfterEach(): void {
  afterEach(async () => {
    await Promise.all(children.splice(0).map(killAndWait));
    await Promise.all(simulators.splice(0).map((s) => s.close()));
  });
}

export async function simulator(options?: SimulatorOptions): Promise<Simulator> {
  const sim = await startSimulator(options);
  simulators.push(sim);
  return sim;
}

export interface LmsRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the fake `lms` with an argument array (never a shell), collecting its output. */
export function spawnLms(sim: Simulator, args: string[]): LmsRun {
  const child = spawn(sim.lmsPath, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, HOME: sim.homeDir },
  });
  children.push(child);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    exited,
  };
}

/** Runs the fake `lms` to the end. */
export async function runLms(sim: Simulator, args: string[]) {
  const run = spawnLms(sim, args);
  run.child.stdin?.end();
  const { code, signal } = await run.exited;
  return { code, signal, stdout: run.stdout(), stderr: run.stderr() };
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Connects and resolves with the error code (e.g. `ECONNREFUSED`), or `connected`. */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Parsed JSON of a request on a fresh connection (no pooling), with its status and headers. */
export async function request(
  sim: Simulator,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const headers: Record<string, string> = { Connection: 'close' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const response = await fetch(`${sim.baseUrl}${path}`, {
    method,
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** Removes the escape sequences lms writes, as the protocol file's parsing advice says. */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
