import { execFile } from 'node:child_process';
import os from 'node:os';

/** A git command that exited non-zero, could not start, or was stopped. */
export class GitError extends Error {
  override name = 'GitError';

  constructor(
    /** Arguments passed to git, without the leading `git`. */
    readonly args: readonly string[],
    readonly cwd: string,
    readonly stderr: string,
    /** The exit code, a spawn error's code (`ENOENT`), or a signal's name when it was stopped. */
    readonly exitCode: number | string | undefined,
    reason: string,
    /** What it printed before it failed (`merge-tree` prints the conflicted tree). */
    readonly stdout = '',
  ) {
    super(`git ${commandName(args)} failed: ${reason}`);
  }
}

export interface GitOptions {
  /** Standard input. */
  input?: string;
  /** Stops the command (SIGTERM) and rejects. */
  signal?: AbortSignal;
  /** Runs it at a lower priority: for work nobody waits on at once (checkouts, clean-up). */
  background?: boolean;
  /**
   * Config for this one command, passed in the environment (`GIT_CONFIG_COUNT`…), so that no value (a credential)
   * is ever on a command line, where every process on the machine can read it.
   */
  config?: readonly (readonly [string, string])[];
  /** Largest output read, in bytes; the command fails past it. */
  maxBuffer?: number;
}

/**
 * Niceness of git, below the action's own: a little below its thread, which serves every agent (and starts each git:
 * until the child has started git, the thread waits for it); {@link GitOptions.background} work, and other work
 * nobody waits on, lower still. On a small runner they would otherwise take the cores from that thread.
 */
const NICENESS = 5;
export const BACKGROUND_NICENESS = 10;
const LOWEST = 19;
const MAX_BUFFER = 64 * 1024 * 1024;

/**
 * Nothing git would run on its own, every call: hooks are the repository's code, not ours (e.g. post-checkout on
 * `worktree add`), and neither is an fsmonitor daemon. A background gc could outlive the run.
 */
const ALWAYS: readonly (readonly [string, string])[] = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
];

/**
 * Runs git in `cwd`, started by this process, and resolves with its standard output; rejects with a {@link GitError}
 * that carries git's own message. Git gets a clean environment: none of the action's tokens, no `GIT_*` override.
 * Gits asked for together start a turn of the event loop apart (see {@link aTurnOfItsOwn}).
 */
export function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  const turn = aTurnOfItsOwn();
  return turn ? turn.then(() => start(cwd, args, options)) : start(cwd, args, options);
}

function start(cwd: string, args: readonly string[], options: GitOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...args],
      {
        cwd,
        env: gitEnvironment([...ALWAYS, ...(options.config ?? [])]),
        encoding: 'utf8',
        maxBuffer: options.maxBuffer ?? MAX_BUFFER,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        reject(failure(args, cwd, error, stdout, stderr));
      },
    );
    lowerPriority(child.pid, options.background ? BACKGROUND_NICENESS : NICENESS);
    // A command that failed to start (or exited early) closes its end; that surfaces as its failure.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** The turn of the event loop the next git may start in; undefined while none has started in this one. */
let nextStart: Promise<void> | undefined;

/**
 * Undefined when a git may start now, as none has in this turn of the event loop; otherwise resolves in the next turn
 * that starts no other. Starting a process holds the thread until the child has started git (a fork of the whole
 * action, several milliseconds on a small runner): gits asked for together would hold it for all of their starts at
 * once, while replies wait to be read; one a turn, the loop reads them in between. The first starts at once, so a git
 * asked for in the middle of other work (at start-up, say) does not wait for that work to end.
 */
function aTurnOfItsOwn(): Promise<void> | undefined {
  const mine = nextStart;
  const after = (mine ?? Promise.resolve()).then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  nextStart = after;
  void after.then(() => {
    if (nextStart === after) nextStart = undefined;
  });
  return mine;
}

function failure(
  args: readonly string[],
  cwd: string,
  error: Error & { code?: unknown; signal?: unknown },
  stdout: string,
  stderr: string,
): GitError {
  const code =
    typeof error.code === 'number' || typeof error.code === 'string'
      ? error.code
      : typeof error.signal === 'string'
        ? error.signal
        : undefined;
  // A spawn failure (git not installed) has no stderr, only a code such as ENOENT; an abort, only its name.
  const reason =
    firstLine(stderr) ||
    (error.name === 'AbortError'
      ? 'stopped'
      : typeof code === 'number'
        ? `exit code ${code}`
        : error.message);
  return new GitError(args, cwd, stderr, code, reason, stdout);
}

/** Only what git needs, and `config` as git reads it from the environment. */
export function gitEnvironment(config: readonly (readonly [string, string])[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_COUNT: String(config.length) };
  for (const name of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Lowers `pid` by `niceness` below this process (which may run lowered itself), as far as the lowest there is. */
export function lowerPriority(pid: number | undefined, niceness: number): void {
  if (pid === undefined) return;
  try {
    os.setPriority(pid, Math.min(LOWEST, os.getPriority() + niceness));
  } catch {
    // Gone already, or not allowed: it runs at the usual priority.
  }
}

/** The first `fatal:` or `error:` line of a git failure, without its prefix; the error's message without one. */
export function gitMessage(error: GitError): string {
  const line = error.stderr.split('\n').find((l) => /^(fatal|error): /.test(l));
  return line ? line.replace(/^(fatal|error): /, '') : error.message;
}

/** `worktree add`, `commit`: the subcommand, without options or operands that may be long (a commit message). */
function commandName(args: readonly string[]): string {
  const words: string[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg.startsWith('-') || args[i - 1] === '-c' || args[i - 1] === '-C') {
      if (words.length > 0) break;
      continue;
    }
    words.push(arg);
  }
  return words.join(' ');
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? '';
}
