import fs from 'node:fs';
import path from 'node:path';
import { makeShellCgroup } from '../../src/sandbox/cgroup.js';
import { tempDir } from '../../support/git-repo.js';

/** A folder laid out as a cgroup v2 mount is, as GitHub's runners have it, and the process's own line for it. */
function v2Layout(controllers = 'cpuset cpu io memory hugetlb pids rdma misc', enabled = '') {
  const root = tempDir('pa-cgroup2-');
  fs.writeFileSync(path.join(root, 'cgroup.controllers'), `${controllers}\n`);
  fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), enabled);
  const own = path.join(tempDir('pa-proc-'), 'cgroup');
  fs.writeFileSync(own, '0::/system.slice/runner.service\n');
  return { root, own };
}

describe('a shell control group on cgroup v2', () => {
  it('turns the memory and pids controllers on, bounds the group, and says which bound it hit', async () => {
    const kernel = v2Layout();
    const group = await makeShellCgroup({ memoryBytes: 64 * 1024 * 1024, processes: 32 }, kernel);
    if (!group) throw new Error('no group made');
    const dir = fs.readdirSync(kernel.root).find((name) => name.startsWith('parallel-agents-'))!;
    const read = (file: string) => fs.readFileSync(path.join(kernel.root, dir, file), 'utf8');
    expect(fs.readFileSync(path.join(kernel.root, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +pids');
    expect(read('memory.max')).toBe(String(64 * 1024 * 1024));
    expect(read('pids.max')).toBe('32');
    expect(group.join).toBe(`echo $$ > '${path.join(kernel.root, dir, 'cgroup.procs')}'`);
    expect(await group.hit()).toBeUndefined();
    fs.writeFileSync(path.join(kernel.root, dir, 'pids.events'), 'max 3\n');
    expect(await group.hit()).toBe('processes');
    fs.writeFileSync(
      path.join(kernel.root, dir, 'memory.events'),
      'low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n',
    );
    expect(await group.hit()).toBe('memory');
  });

  it('makes none where the hierarchy lacks a controller, or the process is in no v2 group', async () => {
    expect(await makeShellCgroup({ memoryBytes: 1, processes: 1 }, v2Layout('cpu io'))).toBeUndefined();
    const kernel = v2Layout();
    fs.writeFileSync(kernel.own, '');
    expect(await makeShellCgroup({ memoryBytes: 1, processes: 1 }, kernel)).toBeUndefined();
  });
});

/**
 * A `sudo` first on PATH, as on GitHub's runner: passwordless (it runs the command, here as this process's user) or
 * asking for a password; each command it ran, one line each.
 */
function sudoStandIn(asks = false) {
  const bin = tempDir('pa-sudo-');
  const log = path.join(bin, 'sudo.log');
  const body = asks
    ? `echo 'sudo: a password is required' >&2\nexit 1\n`
    : `[ "$1" = -n ] && shift\necho "$*" >> '${log}'\nexec "$@"\n`;
  fs.writeFileSync(path.join(bin, 'sudo'), `#!/bin/sh\n${body}`, { mode: 0o755 });
  return {
    path: `${bin}:${process.env.PATH ?? ''}`,
    sudo: path.join(bin, 'sudo'),
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').split('\n').filter(Boolean),
  };
}

/** The group folder made under the fake root, if any. */
const groupDir = (root: string) => fs.readdirSync(root).find((name) => name.startsWith('parallel-agents-'));

describe("a shell control group on GitHub's runner: cgroup v2, a user with passwordless sudo", () => {
  it('makes, bounds and removes the group through sudo, and the shell joins it through sudo', async () => {
    const runner = sudoStandIn();
    const kernel = { ...v2Layout(), uid: 1001, path: runner.path };
    const group = await makeShellCgroup({ memoryBytes: 64 * 1024 * 1024, processes: 32 }, kernel);
    if (!group) throw new Error('no group made');
    const dir = path.join(kernel.root, groupDir(kernel.root)!);
    const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
    expect(fs.readFileSync(path.join(kernel.root, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +pids');
    expect(read('memory.max')).toBe(String(64 * 1024 * 1024));
    expect(read('memory.swap.max')).toBe('0');
    expect(read('pids.max')).toBe('32');
    const procs = path.join(dir, 'cgroup.procs');
    expect(group.join).toBe(`echo $$ | '${runner.sudo}' -n tee '${procs}' > /dev/null`);
    // The check that a shell can join: a short-lived one did, through sudo.
    expect(read('cgroup.procs')).toMatch(/^\d+\n$/);
    const write = (file: string, value: string) => `sh -c printf %s "$1" > "$2" sh ${value} ${file}`;
    expect(runner.calls()).toEqual([
      write(path.join(kernel.root, 'cgroup.subtree_control'), '+memory +pids'),
      `mkdir -- ${dir}`,
      write(path.join(dir, 'memory.max'), String(64 * 1024 * 1024)),
      write(path.join(dir, 'memory.swap.max'), '0'),
      write(path.join(dir, 'pids.max'), '32'),
      `tee ${procs}`,
    ]);

    // The kernel's files go with their folder; a plain folder needs them gone first.
    for (const file of fs.readdirSync(dir)) fs.rmSync(path.join(dir, file));
    await group.remove();
    expect(fs.existsSync(dir)).toBe(false);
    expect(runner.calls().at(-1)).toBe(`sh -c [ ! -e "$1" ] || rmdir -- "$1" sh ${dir}`);
  });

  it('leaves the controllers as they are where the top already hands them down', async () => {
    const runner = sudoStandIn();
    const kernel = { ...v2Layout(undefined, 'cpu memory io pids\n'), uid: 1001, path: runner.path };
    expect(await makeShellCgroup({ memoryBytes: 1 << 26, processes: 32 }, kernel)).toBeDefined();
    expect(runner.calls().filter((call) => call.includes('subtree_control'))).toEqual([]);
  });

  it('makes none, and leaves nothing, where sudo asks for a password', async () => {
    const runner = sudoStandIn(true);
    const kernel = { ...v2Layout(), uid: 1001, path: runner.path };
    expect(await makeShellCgroup({ memoryBytes: 1 << 26, processes: 32 }, kernel)).toBeUndefined();
    expect(groupDir(kernel.root)).toBeUndefined();
    expect(fs.readFileSync(path.join(kernel.root, 'cgroup.subtree_control'), 'utf8')).toBe('');
  });
});
