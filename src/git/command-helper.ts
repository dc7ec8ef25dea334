import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
 * The command is started by a shell that runs alongside the action, so that this process never forks: forking a Node
 * process holds its event loop until the child has started (measured here: 8 ms a command, more under load, some
 * sixty-five commands for ten agents), and every agent's turns go through that loop. A shell starts in milliseconds,
 * where a second Node process takes 100 ms and more, and forks in a fraction of the time, being small. When the shell
 * cannot be used (it failed, or a command names something it cannot pass on), the command starts from here.
 */
export function runCommand(file: string, args: readonly string[], options: CommandOptions): Promise<string> {
  const helper = exportable(options.env) ? commandHelper() : null;
  return helper?.usable ? helper.run(file, args, options) : runHere(file, args, options);
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

/** Whether a shell can export every variable of `env` (a spawn passes any name; a shell only its own kind). */
const exportable = (env: NodeJS.ProcessEnv) =>
  Object.keys(env).every((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name));

/** A word for the shell, taken literally. */
const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/** What the shell prints of a command that it could not find: `sh: 1: name: not found`, in every POSIX shell. */
const NOT_FOUND = /: not found\s*$/;

/**
 * The helper: `/bin/sh` reading one command a line on its standard input. Each command runs as a job of its own, so
 * that commands overlap, in a slot no other running command holds: its output goes to that slot's files in a
 * directory of the helper's, and the job prints `<slot> <status> <outputs written>` on the shell's standard output
 * when the command has ended (a line that short is written whole, so jobs' lines never interleave). The shell ends
 * with its standard input, that is with the action.
 */
class CommandHelper {
  readonly #child: ChildProcess;
  readonly #dir: string;
  /** The running commands, by slot. */
  readonly #pending = new Map<
    number,
    { resolve: (out: string) => void; reject: (error: Error) => void; here: () => Promise<string> }
  >();
  /**
   * Slots free again. A slot's files are written over by the next command to hold it: deleting them would cost this
   * thread more, in `fs` calls, than running the command.
   */
  readonly #freeSlots: number[] = [];
  #slots = 0;
  #failed = false;

  constructor() {
    this.#dir = mkdtempSync(path.join(os.tmpdir(), 'parallel-agents-commands-'));
    // Nothing of the action's environment: each command exports its own.
    this.#child = spawn('/bin/sh', ['-s'], { stdio: ['pipe', 'pipe', 'ignore'], env: {} });
    // No shell to start (the spawn's error): none of the commands has run, so they run from here.
    this.#child.on('error', () => this.#fail(true));
    this.#child.on('exit', () => this.#fail(false));
    this.#child.stdin!.on('error', () => this.#fail(false));
    createInterface({ input: this.#child.stdout! }).on('line', (line) => this.#ended(line));
    process.once('exit', () => rmSync(this.#dir, { recursive: true, force: true }));
    // Until it has a command to run, it keeps nothing alive.
    this.#idle();
  }

  /** Whether commands go through it: it has not failed. */
  get usable(): boolean {
    return !this.#failed;
  }

  /** Runs a command in the shell; only while it is {@link usable}, with an {@link exportable} environment. */
  async run(file: string, args: readonly string[], options: CommandOptions): Promise<string> {
    const slot = this.#freeSlots.pop() ?? (this.#slots += 1);
    const name = path.join(this.#dir, String(slot));
    const ended = new Promise<string>((resolve, reject) =>
      this.#pending.set(slot, { resolve, reject, here: () => runHere(file, args, options) }),
    );
    this.#busy();
    if (options.input !== undefined) await writeFile(`${name}.in`, options.input);
    const exports = Object.entries(options.env)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([key, value]) => `export ${key}=${quote(value)}; `)
      .join('');
    const command = [
      ...(options.niceness === undefined ? [] : ['nice', '-n', String(options.niceness)]),
      file,
      ...args,
    ]
      .map(quote)
      .join(' ');
    // A directory that is not there fails as a spawn does, before anything runs. The shell's own variables for the
    // directory go: the command gets its environment and nothing else.
    const setUp = `cd -- ${quote(options.cwd)} 2>/dev/null || { echo "${slot} cwd"; exit; }; unset OLDPWD PWD; ${exports}`;
    const line = options.detached
      ? `{ ${setUp}exec ${command}; } </dev/null >/dev/null 2>&1 & echo "${slot} 0 -"`
      : `{ ${setUp}${command} <${options.input === undefined ? '/dev/null' : quote(`${name}.in`)} ` +
        `>${quote(`${name}.out`)} 2>${quote(`${name}.err`)}; s=$?; f=-; ` +
        // Which of its outputs it wrote to: only those are read.
        `[ -s ${quote(`${name}.out`)} ] && f=$f"o"; [ -s ${quote(`${name}.err`)} ] && f=$f"e"; echo "${slot} $s $f"; } &`;
    this.#child.stdin!.write(`${line}\n`);
    return ended;
  }

  /** A job's `<slot> <status> <outputs written>` line: what it wrote is read, and its slot is free again. */
  async #ended(line: string): Promise<void> {
    const [slotText = '', status = '', written = ''] = line.split(' ');
    const slot = Number(slotText);
    const waiting = this.#pending.get(slot);
    if (!waiting) return;
    this.#pending.delete(slot);
    this.#idle();
    const name = path.join(this.#dir, slotText);
    const read = async (suffix: 'out' | 'err') =>
      written.includes(suffix[0]!) ? readFile(`${name}.${suffix}`, 'utf8').catch(() => '') : '';
    const [stdout, stderr] = await Promise.all([read('out'), read('err')]);
    this.#freeSlots.push(slot);
    if (status === '0') return waiting.resolve(stdout);
    // As a spawn reports them: a directory or a command that is not there is ENOENT, with nothing on stderr.
    const missing = status === 'cwd' || (status === '127' && NOT_FOUND.test(stderr));
    const code = missing ? 'ENOENT' : Number(status);
    const failure: CommandFailure = Object.assign(new Error(`Command failed: ${line}`), {
      code,
      stdout,
      stderr: missing ? '' : stderr,
    });
    waiting.reject(failure);
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

  #fail(neverStarted: boolean): void {
    if (this.#failed) return;
    this.#failed = true;
    const error = new Error('the shell that starts commands ended');
    for (const { resolve, reject, here } of this.#pending.values()) {
      if (neverStarted) here().then(resolve, reject);
      else reject(error);
    }
    this.#pending.clear();
    this.#idle();
  }
}

let shared: CommandHelper | null | undefined;

/** The process's helper, started with the first command; null when it could not be (no directory for its files). */
function commandHelper(): CommandHelper | null {
  if (shared === undefined) {
    try {
      shared = new CommandHelper();
    } catch {
      shared = null;
    }
  }
  return shared;
}
