import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

// Commands the action runs on the runner itself (not in the sandbox): found on a given PATH, bounded in time, with no
// stdin and none of the action's environment, `sudo` never asking for a password.

interface Outcome {
  ok: boolean;
  /** Its output's last line on success, else what went wrong in one line. */
  output: string;
}

export interface Commands {
  run: (command: string[]) => Promise<Outcome>;
  /** As root, never asking for a password. */
  sudo: (command: string[]) => Promise<Outcome>;
}

/** Commands on `searchPath`, each stopped when the deadline passes, with no stdin and none of the action's environment. */
export function commandsUntil(deadline: number, searchPath: string): Commands {
  const run = (command: string[]) => runOnce(command, searchPath, deadline - Date.now());
  return { run, sudo: (command) => run(['sudo', '-n', ...command]) };
}

// Time a command is given to end once told to, and its pipes to close once it ended.
const GRACE_MS = 5000;

function runOnce(command: string[], searchPath: string, timeoutMs: number): Promise<Outcome> {
  if (timeoutMs <= 0) return Promise.resolve({ ok: false, output: 'out of time' });
  const [file, ...args] = command as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: { PATH: searchPath }, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { stdout: '', stderr: '' };
    child.stdout.on(
      'data',
      (chunk: Buffer) => (output.stdout = (output.stdout + chunk.toString()).slice(-4096)),
    );
    child.stderr.on(
      'data',
      (chunk: Buffer) => (output.stderr = (output.stderr + chunk.toString()).slice(-4096)),
    );
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (outcome?: Outcome) => {
      timers.forEach(clearTimeout);
      // A grandchild still holding the pipes must not hold the run.
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(outcome ?? outcomeOf(exit, timedOut ? timeoutMs : undefined, output));
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        timers.push(setTimeout(() => (child.kill('SIGKILL'), finish()), GRACE_MS));
      }, timeoutMs),
    );
    child.on('error', (error) => finish({ ok: false, output: `${file}: ${error.message}` }));
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      timers.push(setTimeout(() => finish(), GRACE_MS));
    });
    child.on('close', () => finish());
  });
}

function outcomeOf(
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined,
  timedOutAfterMs: number | undefined,
  output: { stdout: string; stderr: string },
): Outcome {
  if (timedOutAfterMs !== undefined) {
    return { ok: false, output: `no answer in ${Math.ceil(timedOutAfterMs / 1000)} s` };
  }
  if (exit?.code === 0) return { ok: true, output: lastLine(output.stdout) };
  const said = lastLine(output.stderr) || lastLine(output.stdout);
  return { ok: false, output: said || `ended with ${exit?.code ?? exit?.signal ?? 'no exit status'}` };
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .findLast((line) => line !== '') ?? ''
  );
}

/** The first executable file `name` on `searchPath`, if any. */
export async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(':')) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
