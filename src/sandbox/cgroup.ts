import { execFile } from 'node:child_process';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Where the kernel's control groups are mounted, and where it says which groups this process is in. */
const KERNEL = { root: '/sys/fs/cgroup', own: '/proc/self/cgroup' };

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

let made = 0;

/**
 * A control group for one shell, bounding its memory (bytes) and its processes, or undefined where this process may
 * not make one that it can move a shell into: cgroup v1's memory and pids hierarchies (under this process's own
 * groups), or a v2 hierarchy with both controllers (as root). Per-user limits would not bind a runner that is root.
 */
export async function makeShellCgroup(
  limits: { memoryBytes: number; processes: number },
  kernel: { root: string; own: string } = KERNEL,
): Promise<ShellCgroup | undefined> {
  const name = `parallel-agents-${process.pid}-${(made += 1)}`;
  const own = await readFile(kernel.own, 'utf8').catch(() => '');
  const parts =
    (await v1Parts(kernel.root, own, name, limits)) ?? (await v2Parts(kernel.root, own, name, limits));
  if (!parts) return undefined;
  // On v2 one directory holds both bounds: it is joined once.
  const procs = [...new Set(parts.map((part) => path.join(part.dir, 'cgroup.procs')))];
  const group: ShellCgroup = {
    join: procs.map((file) => `echo $$ > '${file}'`).join(' && '),
    hit: async () => {
      for (const { dir, counts } of parts) {
        const text = await readFile(path.join(dir, counts.file), 'utf8').catch(() => '');
        const count = new RegExp(`^${counts.key} (\\d+)$`, 'm').exec(text)?.[1];
        if (Number(count ?? 0) > 0) return counts.bound;
      }
      return undefined;
    },
    remove: () => removeParts(parts),
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
): Promise<Part[] | undefined> {
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
    return parts;
  } catch {
    await removeParts(parts);
    return undefined;
  }
}

async function v2Parts(
  root: string,
  own: string,
  name: string,
  limits: { memoryBytes: number; processes: number },
): Promise<Part[] | undefined> {
  if (!/^0::/m.test(own)) return undefined;
  const controllers = await readFile(path.join(root, 'cgroup.controllers'), 'utf8').catch(() => '');
  if (!/\bmemory\b/.test(controllers) || !/\bpids\b/.test(controllers)) return undefined;
  // At the top: a group that holds processes (this one's own) cannot hand controllers to groups under it.
  const dir = path.join(root, name);
  const part: Part = { dir, counts: { file: 'memory.events', key: 'oom_kill', bound: 'memory' } };
  const pids: Part = { dir, counts: { file: 'pids.events', key: 'max', bound: 'processes' } };
  try {
    await writeFile(path.join(root, 'cgroup.subtree_control'), '+memory +pids');
    await mkdir(dir);
    await writeFile(path.join(dir, 'memory.max'), String(limits.memoryBytes));
    await writeFile(path.join(dir, 'memory.swap.max'), '0').catch(() => undefined);
    await writeFile(path.join(dir, 'pids.max'), String(limits.processes));
    return [part, pids];
  } catch {
    await removeParts([part]);
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

async function removeParts(parts: Part[]): Promise<void> {
  const dirs = [...new Set(parts.map((part) => part.dir))];
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 20; attempt++) {
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
      const removed = await rmdir(dir).then(
        () => true,
        (error: NodeJS.ErrnoException) => error.code === 'ENOENT',
      );
      if (removed) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
