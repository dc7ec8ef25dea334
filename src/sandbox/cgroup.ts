import { execFile } from 'node:child_process';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { isThere } from '../is-there.js';
import { commandsUntil, findOnPath } from './commands.js';

const execFileAsync = promisify(execFile);

/** Where the kernel's control groups are, and who may change them. */
interface Kernel {
  /** Where the control groups are mounted. */
  root: string;
  /** Where the kernel says which groups this process is in. */
  own: string;
  /** This process's user: root changes the groups itself, any other user through `sudo -n` (v2 only). */
  uid?: number;
  /** Where `sudo` is looked for; this process's `PATH` when absent. */
  path?: string;
}

const KERNEL: Kernel = { root: '/sys/fs/cgroup', own: '/proc/self/cgroup' };
/** Longest one `sudo` command may take. */
const SUDO_TIMEOUT_MS = 10_000;

/** A control group of one shell: what bounds its memory and its processes, and what says it hit a bound. */
export interface ShellCgroup {
  /** A shell command that moves the shell running it into the group; its children follow. */
  join: string;
  /** Which bound the group hit so far, if any. */
  hit(): Promise<'memory' | 'processes' | undefined>;
  /** Kills what is left in the group and removes it. */
  remove(): Promise<void>;
}

/** One control group directory of the group and the counters that say it hit its bound. */
interface Part {
  dir: string;
  /** File and line that count the bound's hits (`oom_kill 1`, `max 3`). */
  counts: { file: string; key: string; bound: 'memory' | 'processes' };
}

/** The parts of a group, and how they were made. */
interface Built {
  parts: Part[];
  files: Files;
}

let made = 0;

/** How the group's directories and files are made, written and removed, and how a shell joins the group. */
interface Files {
  mkdir(dir: string): Promise<void>;
  write(file: string, text: string): Promise<void>;
  /** Removes `dir`, if it is there. */
  rmdir(dir: string): Promise<void>;
  /** The shell command that moves the shell running it into the group whose `cgroup.procs` is `procs`. */
  join(procs: string): string;
}

/** As this process, which may (root, or v1 groups under its own). */
const DIRECT: Files = {
  mkdir: (dir) => mkdir(dir),
  write: (file, text) => writeFile(file, text),
  rmdir: (dir) =>
    rmdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    }),
  join: (procs) => `echo $$ > '${procs}'`,
};

/**
 * As root through `sudo -n`, for a runner user with passwordless sudo (GitHub's). The shell joins through sudo too:
 * the kernel lets a process move one from its group to another only with write access to the `cgroup.procs` of the
 * two groups' common ancestor, here the top, so owning the group's own file would not be enough.
 */
function throughSudo(sudo: string, searchPath: string): Files {
  const asRoot = async (command: string[]) => {
    const done = await commandsUntil(Date.now() + SUDO_TIMEOUT_MS, searchPath).sudo(command);
    if (!done.ok) throw new Error(`sudo ${command.join(' ')}: ${done.output}`);
  };
  return {
    mkdir: (dir) => asRoot(['mkdir', '--', dir]),
    // The value and the file as arguments of their own: nothing is parsed by a shell.
    write: (file, text) => asRoot(['sh', '-c', 'printf %s "$1" > "$2"', 'sh', text, file]),
    rmdir: (dir) => asRoot(['sh', '-c', '[ ! -e "$1" ] || rmdir -- "$1"', 'sh', dir]),
    join: (procs) => `echo $$ | '${sudo}' -n tee '${procs}' > /dev/null`,
  };
}

/**
 * A control group for one shell, bounding its memory (bytes) and its processes, or undefined where this process may
 * not make one that it can move a shell into: cgroup v1's memory and pids hierarchies (under this process's own
 * groups), or a v2 hierarchy with both controllers, as root or, for another user, through passwordless `sudo`.
 * Per-user limits would not bind a runner that is root.
 */
export async function makeShellCgroup(
  limits: { memoryBytes: number; processes: number },
  kernel: Kernel = KERNEL,
): Promise<ShellCgroup | undefined> {
  const name = `parallel-agents-${process.pid}-${(made += 1)}`;
  const own = await readFile(kernel.own, 'utf8').catch(() => '');
  const uid = kernel.uid ?? process.getuid?.() ?? 0;
  const searchPath = kernel.path ?? process.env.PATH ?? '';
  const sudo = uid === 0 ? undefined : await findOnPath('sudo', searchPath);
  const files = sudo ? throughSudo(sudo, searchPath) : DIRECT;
  const found =
    (await v1Parts(kernel.root, own, name, limits)) ?? (await v2Parts(kernel.root, own, name, limits, files));
  if (!found) return undefined;
  const { parts } = found;
  // On v2 one directory holds both bounds: it is joined once.
  const procs = [...new Set(parts.map((part) => path.join(part.dir, 'cgroup.procs')))];
  const group: ShellCgroup = {
    join: procs.map((file) => found.files.join(file)).join(' && '),
    hit: async () => {
      for (const { dir, counts } of parts) {
        const text = await readFile(path.join(dir, counts.file), 'utf8').catch(() => '');
        const count = new RegExp(`^${counts.key} (\\d+)$`, 'm').exec(text)?.[1];
        if (Number(count ?? 0) > 0) return counts.bound;
      }
      return undefined;
    },
    remove: () => removeParts(parts, found.files),
  };
  // A group the shell could not join would leave it unbounded, or unable to start: found out now, once.
  if (!(await joinable(group.join))) {
    await group.remove();
    return undefined;
  }
  return group;
}

async function v1Parts(
  root: string,
  own: string,
  name: string,
  limits: { memoryBytes: number; processes: number },
): Promise<Built | undefined> {
  const memory = groupOf(own, 'memory');
  const pids = groupOf(own, 'pids');
  if (memory === undefined || pids === undefined) return undefined;
  const parts: Part[] = [
    {
      dir: path.join(root, 'memory', memory, name),
      counts: { file: 'memory.oom_control', key: 'oom_kill', bound: 'memory' },
    },
    {
      dir: path.join(root, 'pids', pids, name),
      counts: { file: 'pids.events', key: 'max', bound: 'processes' },
    },
  ];
  try {
    for (const part of parts) await mkdir(part.dir);
    await writeFile(path.join(parts[0]!.dir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    await writeFile(path.join(parts[1]!.dir, 'pids.max'), String(limits.processes));
    return { parts, files: DIRECT };
  } catch {
    await removeParts(parts, DIRECT);
    return undefined;
  }
}

async function v2Parts(
  root: string,
  own: string,
  name: string,
  limits: { memoryBytes: number; processes: number },
  files: Files,
): Promise<Built | undefined> {
  if (!/^0::/m.test(own)) return undefined;
  const controllers = await readFile(path.join(root, 'cgroup.controllers'), 'utf8').catch(() => '');
  if (!/\bmemory\b/.test(controllers) || !/\bpids\b/.test(controllers)) return undefined;
  // At the top: a group that holds processes (this one's own) cannot hand controllers to groups under it.
  const dir = path.join(root, name);
  const part: Part = { dir, counts: { file: 'memory.events', key: 'oom_kill', bound: 'memory' } };
  const pids: Part = { dir, counts: { file: 'pids.events', key: 'max', bound: 'processes' } };
  const enabled = await readFile(path.join(root, 'cgroup.subtree_control'), 'utf8').catch(() => '');
  try {
    if (!/\bmemory\b/.test(enabled) || !/\bpids\b/.test(enabled)) {
      await files.write(path.join(root, 'cgroup.subtree_control'), '+memory +pids');
    }
    await files.mkdir(dir);
    await files.write(path.join(dir, 'memory.max'), String(limits.memoryBytes));
    await files.write(path.join(dir, 'memory.swap.max'), '0').catch(() => undefined);
    await files.write(path.join(dir, 'pids.max'), String(limits.processes));
    return { parts: [part, pids], files };
  } catch {
    await removeParts([part], files);
    return undefined;
  }
}

/** This process's group in the v1 hierarchy of `controller` (`4:memory:/a/b` → `/a/b`). */
function groupOf(own: string, controller: string): string | undefined {
  for (const line of own.split('\n')) {
    const [, controllers, group] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers?.split(',').includes(controller)) return group;
  }
  return undefined;
}

/** Whether a shell can move itself into the group: a short-lived one tries. */
async function joinable(join: string): Promise<boolean> {
  return execFileAsync('/bin/sh', ['-c', join], { timeout: 5000 }).then(
    () => true,
    () => false,
  );
}

async function removeParts(parts: Part[], files: Files): Promise<void> {
  const dirs = [...new Set(parts.map((part) => part.dir))];
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 20; attempt++) {
      // Never made, or gone: nothing to ask for.
      if (!(await isThere(dir))) break;
      const pids = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map(Number);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      const removed = await files.rmdir(dir).then(
        () => true,
        () => false,
      );
      if (removed) break;
      await delay(50);
    }
  }
}
