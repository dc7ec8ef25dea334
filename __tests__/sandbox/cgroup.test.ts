import fs from 'node:fs';
import path from 'node:path';
import { makeShellCgroup } from '../../src/sandbox/cgroup.js';
import { tempDir } from '../../support/git-repo.js';

/** A folder laid out as a cgroup v2 mount is, as GitHub's runners have it, and the process's own line for it. */
function v2Layout(controllers = 'cpuset cpu io memory hugetlb pids rdma misc') {
  const root = tempDir('pa-cgroup2-');
  fs.writeFileSync(path.join(root, 'cgroup.controllers'), `${controllers}\n`);
  fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), '');
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
