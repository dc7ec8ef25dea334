import { execFile, spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';

/** A command that exited non-zero or could not start, as `execFile` reports one. */
export interface CommandFailure extends Error {
  /** The exit code, or a spawn error's code such as `ENOENT`. */
  code?: number | string;
  stdout?: string;
  stderr?: string;
}

export interface CommandOptions {
  cwd: string;
  /** The command's whole environment. */
  env: NodeJS.ProcessEnv;
  /** Its standard input. */
  input?: string;
  /** Niceness to give it (see `os.setPriority`); the usual priority without. */
  niceness?: number;
  /**
   * Start it in a session of its own, with no input or output, and resolve once it has started: nothing waits for it,
   * not even the action's exit.
   */
  detached?: boolean;
  maxBuffer?: number;
}

/**
 * Runs `file` with `args` and resolves with its standard output; rejects with a {@link CommandFailure}.
 *
 * The command is started by a small helper process, so that this one never forks: forking a process of a few hundred
 * megabytes holds its event loop until the child has started (measured here: 3 ms a command on average, up to 90 ms
 * under load, about a hundred commands for ten agents), and every agent's turns go through that loop. The helper
 * forks instead, cheaply, being small. Until it is up (it starts after the first few commands), and for good once
 * it fails, commands start from here.
 */
export function runCommand(file: string, args: readonly string[], options: CommandOptions): Promise<string> {
  const helper = commandHelper();
  return helper ? helper.run(file, args, options) : runHere(file, args, options);
}

const MAX_BUFFER = 64 * 1024 * 1024;

function runHere(file: string, args: readonly string[], options: CommandOptions): Promise<string> {
  if (options.detached) {
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', () => undefined);
    lowerPriority(child.pid, options.niceness);
    child.unref();
    return Promise.resolve('');
  }
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { cwd: options.cwd, env: options.env, encoding: 'utf8', maxBuffer: options.maxBuffer ?? MAX_BUFFER },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        reject(Object.assign(error, { stdout, stderr }) as CommandFailure);
      },
    );
    lowerPriority(child.pid, options.niceness);
    // A command that failed to start (or exited early) closes its end; that surfaces as its failure.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

function lowerPriority(pid: number | undefined, niceness: number | undefined): void {
  if (pid === undefined || niceness === undefined) return;
  try {
    os.setPriority(pid, niceness);
  } catch {
    // Gone already, or not allowed: it runs at the usual priority.
  }
}

/**
 * The helper: reads one JSON request a line, runs it with `execFile`, writes one JSON answer a line. It ends with its
 * standard input, that is with the action. CommonJS, as `node -e` runs it.
 */
const HELPER_SOURCE = `
const { execFile, spawn } = require('node:child_process');
const os = require('node:os');
const lines = require('node:readline').createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const r = JSON.parse(line);
  const answer = (error, stdout, stderr) =>
    process.stdout.write(JSON.stringify({
      id: r.id, stdout, stderr,
      error: error ? { code: error.code, message: error.message } : null,
    }) + '\\n');
  let child;
  if (r.detached) {
    try {
      child = spawn(r.file, r.args, { cwd: r.cwd, env: r.env, detached: true, stdio: 'ignore' });
      child.on('error', () => {});
      child.unref();
    } catch {}
    if (child && r.niceness !== undefined && child.pid !== undefined) {
      try { os.setPriority(child.pid, r.niceness); } catch {}
    }
    return answer(null, '', '');
  }
  try {
    child = execFile(r.file, r.args, { cwd: r.cwd, env: r.env, encoding: 'utf8', maxBuffer: r.maxBuffer }, answer);
  } catch (error) {
    return answer(error, '', '');
  }
  if (r.niceness !== undefined && child.pid !== undefined) {
    try { os.setPriority(child.pid, r.niceness); } catch {}
  }
  child.stdin.on('error', () => {});
  child.stdin.end(r.input || '');
});
lines.on('close', () => process.exit(0));
process.stdout.write('ready\\n');
`;

interface Answer {
  id: number;
  stdout: string;
  stderr: string;
  error: { code?: number | string; message: string } | null;
}

class CommandHelper {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (out: string) => void; reject: (error: Error) => void }>();
  #next = 0;
  #ready = false;
  #failed = false;

  constructor() {
    this.#child = spawn(process.execPath, ['-e', HELPER_SOURCE], {
      stdio: ['pipe', 'pipe', 'ignore'],
      // Only what finding and starting a command needs: no tokens, no NODE_OPTIONS that would load a preload twice.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    this.#child.on('error', () => this.#fail());
    this.#child.on('exit', () => this.#fail());
    this.#child.stdin!.on('error', () => this.#fail());
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      if (line === 'ready') {
        this.#ready = true;
        return this.#idle();
      }
      const answer = JSON.parse(line) as Answer;
      const waiting = this.#pending.get(answer.id);
      this.#pending.delete(answer.id);
      this.#idle();
      if (!waiting) return;
      if (!answer.error) return waiting.resolve(answer.stdout);
      const failure: CommandFailure = Object.assign(new Error(answer.error.message), {
        code: answer.error.code,
        stdout: answer.stdout,
        stderr: answer.stderr,
      });
      waiting.reject(failure);
    });
  }

  /** Whether commands should go through it: it has started and has not failed. */
  get usable(): boolean {
    return this.#ready && !this.#failed;
  }

  /** Runs a command in the helper; only while it is {@link usable} (see `commandHelper`). */
  run(file: string, args: readonly string[], options: CommandOptions): Promise<string> {
    const id = (this.#next += 1);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#busy();
      const request = {
        id,
        file,
        args,
        cwd: options.cwd,
        env: options.env,
        input: options.input,
        niceness: options.niceness,
        detached: options.detached,
        maxBuffer: options.maxBuffer ?? MAX_BUFFER,
      };
      this.#child.stdin!.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** Waiting on the helper keeps the action alive; an idle helper does not. */
  #busy(): void {
    this.#child.ref();
    for (const stream of [this.#child.stdin, this.#child.stdout]) (stream as { ref?: () => void }).ref?.();
  }

  #idle(): void {
    if (this.#pending.size > 0) return;
    this.#child.unref();
    for (const stream of [this.#child.stdin, this.#child.stdout])
      (stream as { unref?: () => void }).unref?.();
  }

  #fail(): void {
    if (this.#failed) return;
    this.#failed = true;
    const error = new Error('the helper process that starts commands ended');
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
    this.#idle();
  }
}

/**
 * Commands started from here before the helper is. A run that makes only a few would gain nothing from it, and its
 * first commands are on the way to the first request, where starting a second Node process on a small runner costs
 * more than it saves.
 */
const BEFORE_HELPER = 4;

let started = 0;
let shared: CommandHelper | undefined;

/** The process's helper, started after the first few commands; undefined until it is up, and once it has failed. */
function commandHelper(): CommandHelper | undefined {
  if (!shared && (started += 1) > BEFORE_HELPER) shared = new CommandHelper();
  return shared?.usable ? shared : undefined;
}
