import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { makeShellCgroup, type ShellCgroup } from './cgroup.js';

const execFileAsync = promisify(execFile);

/** What one agent's sandboxed shell may use; each is an input. */
export interface ShellLimits {
  /** Memory of everything the shell runs, its `/tmp` included (`agent-memory-mb`). */
  memoryMb: number;
  /** Processes and threads at once (`agent-processes`). */
  processes: number;
  /** Size of the shell's private `/tmp`, which is held in memory (`agent-tmp-mb`). */
  tmpMb: number;
  /** What the shell may add to its worktree, its `HOME` and its git directory (`agent-disk-mb`). */
  diskMb: number;
}

export const DEFAULT_LIMITS: ShellLimits = { memoryMb: 2048, processes: 256, tmpMb: 512, diskMb: 2048 };

const MB = 1024 * 1024;
/** Longest a measure of what the shell wrote may take; past it, that measure is skipped. */
const MEASURE_TIMEOUT_MS = 10_000;

/** One shell's bounds: a control group where the runner offers one, and a measure of the disk it writes. */
export interface ShellGuard {
  /** A shell command that puts the shell running it under the bounds; empty without a control group. */
  join: string;
  /** Why the shell must stop (a bound it hit, in words naming the input), or undefined. */
  check(): Promise<string | undefined>;
  release(): Promise<void>;
}

/**
 * Bounds for one shell: memory and processes through a control group (where this process may make one), and the disk
 * it writes, measured in `dirs` after each command against what they held at the start. `/tmp` is bounded by the
 * sandbox's own mount (bwrap's `--size`).
 */
export async function guardShell(limits: ShellLimits, dirs: string[]): Promise<ShellGuard> {
  const cgroup: ShellCgroup | undefined = await makeShellCgroup({
    memoryBytes: limits.memoryMb * MB,
    processes: limits.processes,
  });
  const start = await diskUse(dirs);
  return {
    join: cgroup?.join ?? '',
    check: async () => {
      const hit = await cgroup?.hit();
      if (hit === 'memory') {
        return `stopped: the shell went past its memory limit (agent-memory-mb: ${limits.memoryMb}) and the kernel killed a process in it`;
      }
      if (hit === 'processes') {
        return `stopped: the shell tried to run more processes at once than agent-processes allows (${limits.processes})`;
      }
      const now = start === undefined ? undefined : await diskUse(dirs);
      if (start === undefined || now === undefined) return undefined;
      const written = Math.round((now - start) / MB);
      if (written <= limits.diskMb) return undefined;
      return `stopped: the shell wrote ${written} MB to disk, past agent-disk-mb (${limits.diskMb})`;
    },
    release: async () => {
      await cgroup?.remove();
    },
  };
}

/** Bytes the files under `dirs` take on disk, or undefined when `du` could not tell in time. */
async function diskUse(dirs: string[]): Promise<number | undefined> {
  try {
    const { stdout } = await execFileAsync('du', ['-s', '-k', '-x', '-c', '--', ...dirs], {
      timeout: MEASURE_TIMEOUT_MS,
      encoding: 'utf8',
    });
    const total = /^(\d+)\s+total$/m.exec(stdout)?.[1];
    return total === undefined ? undefined : Number(total) * 1024;
  } catch (error) {
    // `du` says so when a file went away while it counted; its total still stands.
    const stdout = (error as { stdout?: string }).stdout ?? '';
    const total = /^(\d+)\s+total$/m.exec(stdout)?.[1];
    return total === undefined ? undefined : Number(total) * 1024;
  }
}
