import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Workspace } from '../../src/git/workspace.js';
import { git, gitTrace, makeRepo, tempDir } from '../../support/git-repo.js';

const files = {
  'README.md': '# Sparse\n',
  'src/a/x.ts': 'x\n',
  'src/b/y.ts': 'y\n',
  'docs/d.md': 'd\n',
};

/** Every file in `dir` but git's, relative and sorted. */
async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .filter((file) => file !== '.git' && !file.startsWith('.git/'))
    .sort();
}

/** The git commands `step` starts, by name, as git's own trace records them. */
async function gitCommands(step: () => Promise<unknown>): Promise<string[]> {
  return (await gitTrace(step))
    .split('\n')
    .map((line) => / start git (.*)$/.exec(line)?.[1])
    .filter((command) => command !== undefined)
    .map((command) =>
      command
        .replace(/--git-dir=\S+ |--work-tree=\S+ /g, '')
        .split(' ')
        .filter((word) => !word.startsWith('-'))
        .slice(0, 2)
        .join(' '),
    );
}

describe('worktrees made by git', () => {
  it('are added, filled, removed and pruned by git itself', async () => {
    const repo = makeRepo(files);
    const workspace = new Workspace({ repo, root: join(tempDir(), 'worktrees') });
    let worktree;
    const made = await gitCommands(async () => {
      await workspace.prune();
      worktree = await workspace.create({ id: 'BAC-1', title: 'By git' });
    });
    expect(await readFile(join(worktree!.path, 'README.md'), 'utf8')).toBe(files['README.md']);
    const removed = await gitCommands(() => workspace.remove(worktree!));

    // A small tree is checked out by `worktree add` itself; in a repository no run has used, git has no worktree to
    // list or forget.
    expect(made).toContain('worktree add');
    expect(made).not.toContain('reset');
    expect(made).not.toContain('worktree list');
    expect(made).not.toContain('worktree prune');
    expect(removed).toEqual(['worktree remove']);
    expect(git(repo, 'worktree', 'list', '--porcelain')).not.toContain('bac-1');
    expect(git(repo, 'rev-parse', 'parallel-agents/bac-1-by-git')).toBe(git(repo, 'rev-parse', 'HEAD'));

    // A worktree whose directory went away (someone else's, here) is git's to prune at the next run's start.
    const gone = join(tempDir(), 'gone');
    git(repo, 'worktree', 'add', '--quiet', '-b', 'gone', gone);
    await rm(gone, { recursive: true });
    const next = new Workspace({ repo, root: join(tempDir(), 'worktrees') });
    expect(await gitCommands(() => next.prune())).toEqual(
      expect.arrayContaining(['worktree list', 'worktree prune']),
    );
    expect(git(repo, 'worktree', 'list', '--porcelain')).not.toContain(gone);
  });

  it('are checked out after git has made them, in the background, when the tree is larger', async () => {
    const many = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`src/f${i}.ts`, `${i}\n`]));
    const repo = makeRepo({ ...files, ...many });
    const workspace = new Workspace({ repo, root: join(tempDir(), 'worktrees') });
    let worktree;
    const made = await gitCommands(async () => {
      worktree = await workspace.create({ id: 'BAC-5', title: 'Larger' });
    });
    expect(made).toEqual(expect.arrayContaining(['worktree add', 'reset']));
    expect(await readFile(join(worktree!.path, 'src/f999.ts'), 'utf8')).toBe('999\n');
  });

  it('are sparse the same way as a sparse main checkout', async () => {
    const repo = makeRepo(files);
    // As actions/checkout does with `sparse-checkout: src/a` (cone mode).
    git(repo, 'sparse-checkout', 'set', '--cone', 'src/a');
    expect(await filesIn(repo)).toEqual(['README.md', 'src/a/x.ts']);
    const workspace = new Workspace({ repo, root: join(tempDir(), 'worktrees') });

    const worktree = await workspace.create({ id: 'BAC-2', title: 'Sparse' });

    expect(await filesIn(worktree.path)).toEqual(['README.md', 'src/a/x.ts']);
    expect(git(worktree.path, 'sparse-checkout', 'list')).toBe('src/a');
    expect(git(worktree.path, 'status', '--porcelain')).toBe('');
    // What the agent changes is committed, inside the cone and out; what it never had stays as it was.
    await writeFile(join(worktree.path, 'src/a/x.ts'), 'x, edited\n');
    await mkdir(join(worktree.path, 'docs'));
    await writeFile(join(worktree.path, 'docs/new.md'), 'new\n');
    const summary = await workspace.commit(worktree, 'BAC-2: Sparse');
    expect(summary.filesChanged).toEqual(['docs/new.md', 'src/a/x.ts']);
    expect(git(repo, 'ls-tree', '-r', '--name-only', worktree.branch).split('\n')).toEqual([
      'README.md',
      'docs/d.md',
      'docs/new.md',
      'src/a/x.ts',
      'src/b/y.ts',
    ]);
  });

  it('start from a start point when given one: a dependency carries its work', async () => {
    const repo = makeRepo(files);
    const workspace = new Workspace({ repo, root: join(tempDir(), 'worktrees') });
    const dependency = await workspace.create({ id: 'BAC-3', title: 'First' });
    await writeFile(join(dependency.path, 'src/a/x.ts'), 'x, from the dependency\n');
    const { commit } = await workspace.commit(dependency, 'BAC-3: First');

    const dependent = await workspace.create({ id: 'BAC-4', title: 'Second' }, { startPoint: commit! });
    expect(dependent.base).toBe(commit);
    expect(await readFile(join(dependent.path, 'src/a/x.ts'), 'utf8')).toBe('x, from the dependency\n');
    await writeFile(join(dependent.path, 'docs/d.md'), 'd, from the dependent\n');
    const summary = await workspace.commit(dependent, 'BAC-4: Second');
    // Measured from where it started: the dependency's change is not the dependent's.
    expect(summary.filesChanged).toEqual(['docs/d.md']);
    expect(git(repo, 'rev-parse', `${dependent.branch}^`)).toBe(commit);

    await expect(
      workspace.open({ id: 'BAC-5', title: 'Nowhere' }, { startPoint: 'no-such-branch' }),
    ).rejects.toThrow(/^start point no-such-branch is not a commit in /);
  });

  it('clear what a killed run left, so its tasks run again', async () => {
    const repo = makeRepo(files);
    const root = join(tempDir(), 'worktrees');
    const killed = new Workspace({ repo, root });
    const left = await killed.create({ id: 'BAC-6', title: 'Again' });
    await writeFile(join(left.path, 'half-done.md'), 'half\n');

    // The next run under the same root: its prune clears the leftover before its first worktree.
    const next = new Workspace({ repo, root });
    void next.prune();
    const again = await next.create({ id: 'BAC-6', title: 'Again' });

    expect(again.path).toBe(left.path);
    expect(await filesIn(again.path)).toEqual(Object.keys(files).sort());
    expect(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree .*bac-6$/gm)).toHaveLength(1);
  });

  it('commit a title too long for a command line', async () => {
    const repo = makeRepo(files);
    const workspace = new Workspace({ repo, root: join(tempDir(), 'worktrees') });
    const worktree = await workspace.create({ id: 'BAC-7', title: 'Long' });
    await writeFile(join(worktree.path, 'work.md'), 'work\n');
    const title = `BAC-7: ${'a very long title '.repeat(12_000)}`;

    const summary = await workspace.commit(worktree, title);

    expect(summary.commit).toBeDefined();
    expect(git(repo, 'log', '-1', '--format=%s', worktree.branch)).toBe(title.trim());
  });
});
