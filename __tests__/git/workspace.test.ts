import { execFile } from 'node:child_process';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { setTimeout } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InputError } from '../../src/errors.js';
import {
  COMMIT_AUTHOR,
  NESTED_REPOSITORY,
  Workspace,
  WorktreeError,
  branchName,
  type Worktree,
} from '../../src/git/workspace.js';
import { addBareOrigin, gitTrace, makeRepo, tempDir } from '../../support/git-repo.js';

const execFileAsync = promisify(execFile);

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd });
  return stdout.trim();
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

describe('Workspace', () => {
  let dir: string;
  let repo: string;
  let workspace: Workspace;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parallel-agents-workspace-'));
    repo = join(dir, 'repo');
    await mkdir(repo);
    await git(repo, 'init', '--quiet', '--initial-branch=main');
    await writeFile(join(repo, 'README.md'), '# demo\n');
    await writeFile(join(repo, 'router.ts'), 'one\ntwo\nthree\n');
    await writeFile(join(repo, 'old.txt'), 'going\naway\n');
    await git(repo, 'add', '--all');
    await git(repo, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-qm', 'init');
    workspace = new Workspace({ repo, root: join(dir, 'worktrees') });
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const tasks = ['BAC-1', 'BAC-2', 'BAC-3', 'BAC-4', 'BAC-5'].map((id) => ({ id, title: `Task ${id}` }));

  it('creates isolated worktrees concurrently, each on its own branch from HEAD', async () => {
    const head = await git(repo, 'rev-parse', 'HEAD');
    const worktrees = await Promise.all(tasks.map((task) => workspace.create(task)));

    expect(worktrees.map((w) => w.path)).toEqual(
      tasks.map((t) => join(dir, 'worktrees', t.id.toLowerCase())),
    );
    for (const [i, worktree] of worktrees.entries()) {
      expect(worktree.base).toBe(head);
      expect(worktree.branch).toBe(branchName(tasks[i]!));
      expect(await git(worktree.path, 'branch', '--show-current')).toBe(worktree.branch);
      expect(await readFile(join(worktree.path, 'README.md'), 'utf8')).toBe('# demo\n');
    }

    await writeFile(join(worktrees[0]!.path, 'secret.txt'), 'mine\n');
    for (const other of [repo, ...worktrees.slice(1).map((w) => w.path)]) {
      expect(await exists(join(other, 'secret.txt'))).toBe(false);
    }
    expect(await git(repo, 'status', '--porcelain')).toBe('');
  });

  it('commits edits, additions and deletions to the branch only', async () => {
    const head = await git(repo, 'rev-parse', 'HEAD');
    const worktree = await workspace.create({ id: 'BAC-124', title: 'Fix model routing' });
    await writeFile(join(worktree.path, 'router.ts'), 'one\n2\n3\nfour\n');
    await writeFile(join(worktree.path, 'new.ts'), 'a\nb\n');
    await writeFile(join(worktree.path, 'logo.bin'), Buffer.from([0, 1, 2, 0, 255]));
    await unlink(join(worktree.path, 'old.txt'));

    const summary = await workspace.commit(worktree, 'BAC-124: Fix model routing');

    expect(summary.filesChanged.sort()).toEqual(['logo.bin', 'new.ts', 'old.txt', 'router.ts']);
    // router.ts: 3 added, 2 removed; new.ts: 2 added; old.txt: 2 removed; logo.bin: binary, 0/0.
    expect(summary.insertions).toBe(5);
    expect(summary.deletions).toBe(4);
    expect(summary.commit).toBe(await git(repo, 'rev-parse', worktree.branch));
    expect(await git(repo, 'log', '-1', '--format=%an <%ae>|%cn|%s|%P', worktree.branch)).toBe(
      `${COMMIT_AUTHOR.name} <${COMMIT_AUTHOR.email}>|${COMMIT_AUTHOR.name}|BAC-124: Fix model routing|${head}`,
    );
    expect(await git(worktree.path, 'status', '--porcelain')).toBe('');

    expect(await git(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(await git(repo, 'branch', '--show-current')).toBe('main');
    expect(await git(repo, 'status', '--porcelain')).toBe('');
    expect(await readFile(join(repo, 'router.ts'), 'utf8')).toBe('one\ntwo\nthree\n');
  });

  it('reads any file name verbatim, and counts a change of mode', async () => {
    const worktree = await workspace.create({ id: 'BAC-12', title: '' });
    const names = ['tab\there.ts', 'new\nline.ts', ':colon.ts', '1\t2\tz'];
    for (const name of names) await writeFile(join(worktree.path, name), 'one\ntwo\n');
    await chmod(join(worktree.path, 'README.md'), 0o755);

    const summary = await workspace.commit(worktree, 'names');

    expect(summary.filesChanged.sort()).toEqual([...names, 'README.md'].sort());
    // Two lines in each new file; the mode change adds and removes none.
    expect(summary.insertions).toBe(8);
    expect(summary.deletions).toBe(0);
    expect(await git(repo, 'ls-tree', worktree.branch, 'README.md')).toMatch(/^100755 /);
  });

  it('counts commits the agent made itself', async () => {
    const worktree = await workspace.create({ id: 'BAC-9', title: '' });
    await writeFile(join(worktree.path, 'README.md'), '# demo\nmore\n');
    await git(worktree.path, '-c', 'user.name=Agent', '-c', 'user.email=a@b', 'commit', '-q', '-am', 'own');

    const summary = await workspace.commit(worktree, 'unused');

    expect(summary).toEqual({
      commit: await git(worktree.path, 'rev-parse', 'HEAD'),
      filesChanged: ['README.md'],
      insertions: 1,
      deletions: 0,
    });
  });

  it("commits an undo of the agent's own commit, so the branch ends as the worktree did", async () => {
    const worktree = await workspace.create({ id: 'BAC-10', title: '' });
    await writeFile(join(worktree.path, 'README.md'), '# demo\nmore\n');
    await git(worktree.path, '-c', 'user.name=Agent', '-c', 'user.email=a@b', 'commit', '-q', '-am', 'own');
    const own = await git(worktree.path, 'rev-parse', 'HEAD');
    await writeFile(
      join(worktree.path, 'README.md'),
      (await git(repo, 'show', `${worktree.base}:README.md`)) + '\n',
    );

    const summary = await workspace.commit(worktree, 'undo');

    // Nothing differs from the base any more, yet the branch moved on: its tip is the undo, on top of the agent's.
    expect(summary).toEqual({
      commit: await git(repo, 'rev-parse', worktree.branch),
      filesChanged: [],
      insertions: 0,
      deletions: 0,
    });
    expect(await git(repo, 'rev-parse', `${worktree.branch}^`)).toBe(own);
    expect(await git(repo, 'diff', worktree.base, worktree.branch)).toBe('');
  });

  it('commits a change with four git commands, and git starts none of its own', async () => {
    const worktree = await workspace.create({ id: 'BAC-11', title: '' });
    await writeFile(join(worktree.path, 'README.md'), '# demo\nmore\n');
    // Git's own trace, from the global config, names every git process, the ones git starts itself included.
    const trace = await gitTrace(async () => {
      const summary = await workspace.commit(worktree, 'counted');
      expect(summary.filesChanged).toEqual(['README.md']);
    });

    const commands = trace
      .split('\n')
      .map((line) => / start (\S+) (.*)$/.exec(line)?.[2])
      .filter((command) => command !== undefined)
      .map((command) => command.replace(/(-c \S+ |--git-dir=\S+ |--work-tree=\S+ )/g, '').split(' ')[0]);
    // add; one diff for the stats and gitlinks; the branch's ancestry; commit, and no `git maintenance` after it.
    expect(commands).toEqual(['add', 'diff', 'merge-base', 'commit']);
  });

  describe('staging ahead of the commit', () => {
    /** The git commands `run` starts, by name, as git's own trace records them. */
    const gitCommands = async (run: () => Promise<unknown>): Promise<string[]> =>
      (await gitTrace(run))
        .split('\n')
        .map((line) => / start (\S+) (.*)$/.exec(line)?.[2])
        .filter((command) => command !== undefined)
        .map((command) => command.replace(/(-c \S+ |--git-dir=\S+ |--work-tree=\S+ )/g, '').split(' ')[0]!);

    it('leaves the commit only the ancestry check and `git commit` to run, and commits what was staged', async () => {
      const worktree = await workspace.create({ id: 'BAC-12', title: '' });
      await writeFile(join(worktree.path, 'README.md'), '# demo\nmore\n');
      await writeFile(join(worktree.path, 'new.txt'), 'new\n');

      expect(await gitCommands(() => workspace.stageAhead(worktree))).toEqual(['add', 'diff']);
      let summary;
      expect(
        await gitCommands(async () => {
          summary = await workspace.commit(worktree, 'staged ahead', { stagedAhead: true });
        }),
      ).toEqual(['merge-base', 'commit']);

      expect(summary).toEqual({
        commit: await git(repo, 'rev-parse', worktree.branch),
        filesChanged: ['README.md', 'new.txt'],
        insertions: 2,
        deletions: 0,
      });
      expect(await git(repo, 'show', `${worktree.branch}:new.txt`)).toBe('new');
    });

    it('stages again when told something changed since, and so commits the later change too', async () => {
      const worktree = await workspace.create({ id: 'BAC-13', title: '' });
      await writeFile(join(worktree.path, 'first.txt'), 'first\n');
      await workspace.stageAhead(worktree);
      await writeFile(join(worktree.path, 'second.txt'), 'second\n');
      await unlink(join(worktree.path, 'old.txt'));

      const summary = await workspace.commit(worktree, 'changed since', { stagedAhead: false });

      expect(summary.filesChanged).toEqual(['first.txt', 'old.txt', 'second.txt']);
      expect(await git(repo, 'ls-tree', '--name-only', worktree.branch)).toBe(
        'README.md\nfirst.txt\nrouter.ts\nsecond.txt',
      );
    });

    it('waits for a staging still under way before the commit stages, so the two never hold the index at once', async () => {
      const worktree = await workspace.create({ id: 'BAC-14', title: '' });
      await writeFile(join(worktree.path, 'first.txt'), 'first\n');
      let summary;
      const commands = await gitCommands(async () => {
        const ahead = workspace.stageAhead(worktree);
        await writeFile(join(worktree.path, 'second.txt'), 'second\n');
        summary = await workspace.commit(worktree, 'not waited for', { stagedAhead: false });
        await ahead;
      });

      expect(commands).toEqual(['add', 'diff', 'add', 'diff', 'merge-base', 'commit']);
      expect(summary).toMatchObject({ filesChanged: ['first.txt', 'second.txt'] });
    });

    it('makes a call while another has yet to begin that one, so stagings never queue up', async () => {
      const worktree = await workspace.create({ id: 'BAC-15', title: '' });
      await writeFile(join(worktree.path, 'first.txt'), 'first\n');
      const commands = await gitCommands(async () => {
        const first = workspace.stageAhead(worktree);
        // Both made before the first has begun (it waits for the checkout to have settled): one staging.
        expect(workspace.stageAhead(worktree)).toBe(first);
        await first;
        // Begun and done: the next is one of its own.
        await writeFile(join(worktree.path, 'second.txt'), 'second\n');
        await workspace.stageAhead(worktree);
      });

      expect(commands).toEqual(['add', 'diff', 'add', 'diff']);
      const summary = await workspace.commit(worktree, 'staged twice', { stagedAhead: true });
      expect(summary.filesChanged).toEqual(['first.txt', 'second.txt']);
    });
  });

  it('makes no commit when nothing changed', async () => {
    const worktree = await workspace.create({ id: 'BAC-2', title: 'Nothing to do' });

    expect(await workspace.commit(worktree, 'empty')).toEqual({
      filesChanged: [],
      insertions: 0,
      deletions: 0,
    });
    expect(await git(repo, 'rev-parse', worktree.branch)).toBe(worktree.base);
  });

  it('removes the worktree but keeps its branch, and a re-run starts the branch afresh from HEAD', async () => {
    const task = { id: 'BAC-3', title: 'Rerun me' };
    const first = await workspace.create(task);
    await writeFile(join(first.path, 'first.txt'), 'first run\n');
    const { commit } = await workspace.commit(first, 'first run');
    await workspace.remove(first);

    expect(await exists(join(first.path, 'first.txt'))).toBe(false);
    expect(await git(repo, 'rev-parse', first.branch)).toBe(commit);

    const second = await workspace.create(task);
    expect(second.path).toBe(first.path);
    expect(await git(repo, 'rev-parse', second.branch)).toBe(second.base);
    expect(await exists(join(second.path, 'first.txt'))).toBe(false);
  });

  it('refuses a branch that is checked out in another worktree', async () => {
    const task = { id: 'BAC-4', title: 'Busy' };
    await workspace.create(task);
    const elsewhere = new Workspace({ repo, root: join(dir, 'elsewhere') });

    const promise = elsewhere.create(task);
    await expect(promise).rejects.toBeInstanceOf(WorktreeError);
    await expect(promise).rejects.toThrow(
      `branch parallel-agents/bac-4-busy is already checked out at ${join(dir, 'worktrees', 'bac-4')}: ` +
        'finish or remove that worktree, then run again',
    );
  });

  it('prunes worktrees whose directories are gone', async () => {
    const worktree = await workspace.create({ id: 'BAC-5', title: 'Vanish' });
    await rm(worktree.path, { recursive: true });

    await workspace.prune();

    expect(await git(repo, 'worktree', 'list', '--porcelain')).not.toContain('bac-5');
  });

  describe('worktrees opened ahead of their agents', () => {
    /** The worktrees `git worktree add` made, in the order git was started, as git's own trace records them. */
    const worktreesAdded = (trace: string) =>
      trace
        .split('\n')
        .map((line) => / start \S+ worktree add .* (\S+) \S+$/.exec(line)?.[1])
        .filter((path) => path !== undefined)
        .map((path) => path.split('/').at(-1));

    it("gives the agent the worktree made ahead, and makes the agents' own first", async () => {
      let taken: Worktree | undefined;
      const trace = await gitTrace(async () => {
        const first = await workspace.open(tasks[0]!);
        // Opened ahead while BAC-1 is being made; BAC-3, asked for after it by an agent, goes first.
        workspace.openAhead(tasks[1]!);
        const third = await workspace.open(tasks[2]!);
        await Promise.all([first.added, third.added]);
        taken = await workspace.open(tasks[1]!);
        await taken.ready!();
      });

      // Three worktrees, three `git worktree add`: the agent of BAC-2 took the one made ahead.
      expect(worktreesAdded(trace)).toEqual(['bac-1', 'bac-3', 'bac-2']);
      expect(await git(taken!.path, 'branch', '--show-current')).toBe(branchName(tasks[1]!));
      expect(await readFile(join(taken!.path, 'README.md'), 'utf8')).toBe('# demo\n');
    });

    it('makes an agent that starts elsewhere a worktree of its own in place of the one made ahead', async () => {
      await writeFile(join(repo, 'README.md'), '# demo\nlater\n');
      await git(repo, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-qam', 'later');
      const later = await git(repo, 'rev-parse', 'HEAD');
      const start = await git(repo, 'rev-parse', 'HEAD~1');
      workspace.openAhead(tasks[0]!);

      const worktree = await workspace.open(tasks[0]!, { startPoint: start });
      await worktree.ready!();

      expect(worktree.base).toBe(start);
      expect(await git(worktree.path, 'rev-parse', 'HEAD')).toBe(start);
      expect(await git(repo, 'rev-parse', 'HEAD')).toBe(later);
    });

    it('removes the worktrees opened ahead that no agent took, and keeps their branches', async () => {
      workspace.openAhead(tasks[3]!);
      workspace.openAhead(tasks[4]!);
      const taken = await workspace.open(tasks[3]!);

      await workspace.dropAhead();

      const listed = await git(repo, 'worktree', 'list', '--porcelain');
      expect(listed).toContain(taken.path);
      expect(listed).not.toContain(join(dir, 'worktrees', 'bac-5'));
      expect(await exists(join(dir, 'worktrees', 'bac-5', 'README.md'))).toBe(false);
      expect(await git(repo, 'rev-parse', branchName(tasks[4]!))).toBe(taken.base);
    });
  });

  it('says to add actions/checkout when the workspace is not a git repository', async () => {
    const notRepo = join(dir, 'not-a-repo');
    await mkdir(notRepo);
    const elsewhere = new Workspace({ repo: notRepo, root: join(dir, 'worktrees') });
    const message =
      `workspace ${notRepo}: not a git repository. ` +
      'Add actions/checkout before this step, so the agents have a repository to branch from.';

    // Before, this said "git worktree prune failed: fatal: not a git repository …".
    await expect(elsewhere.prune()).rejects.toBeInstanceOf(InputError);
    await expect(elsewhere.prune()).rejects.toThrow(message);
    await expect(elsewhere.create(tasks[0]!)).rejects.toThrow(message);
  });

  it('says so when the workspace directory does not exist, or has no commit', async () => {
    const missing = join(dir, 'missing');
    await expect(new Workspace({ repo: missing, root: join(dir, 'w1') }).prune()).rejects.toThrow(
      `workspace ${missing}: no such directory. Add actions/checkout before this step`,
    );
    const empty = join(dir, 'empty');
    await mkdir(empty);
    await git(empty, 'init', '--quiet');
    const promise = new Workspace({ repo: empty, root: join(dir, 'w2') }).create(tasks[0]!);
    await expect(promise).rejects.toBeInstanceOf(InputError);
    await expect(promise).rejects.toThrow(`workspace ${empty}: no commit is checked out.`);
  });

  describe('when git cannot commit everything', () => {
    const committedFiles = async (branch: string) =>
      (await git(repo, 'ls-tree', '-r', '--name-only', branch)).split('\n').sort();

    it('commits the rest when git add refuses one file, and lists that file with why', async () => {
      const worktree = await workspace.create({ id: 'BAC-20', title: 'Encodings' });
      await writeFile(join(worktree.path, '.gitattributes'), '*.utf16 text working-tree-encoding=UTF-16\n');
      // An odd number of bytes is no UTF-16 at all: git refuses to convert it.
      await writeFile(join(worktree.path, 'broken.utf16'), Buffer.from([0xff, 0xfe, 0x41]));
      await writeFile(join(worktree.path, 'router.ts'), 'one\ntwo\nthree\nfour\n');
      await writeFile(join(worktree.path, 'new.ts'), 'new\n');
      await unlink(join(worktree.path, 'old.txt'));

      // Before, this threw "git add failed" and the branch got none of the work.
      const summary = await workspace.commit(worktree, 'BAC-20: Encodings');

      expect(summary.skipped).toEqual([
        {
          path: 'broken.utf16',
          reason: "git add refused it: failed to encode 'broken.utf16' from UTF-16 to UTF-8",
        },
      ]);
      expect(summary.filesChanged.sort()).toEqual(['.gitattributes', 'new.ts', 'old.txt', 'router.ts']);
      expect(await committedFiles(worktree.branch)).toEqual([
        '.gitattributes',
        'README.md',
        'new.ts',
        'router.ts',
      ]);
      expect(await git(repo, 'show', `${worktree.branch}:router.ts`)).toBe('one\ntwo\nthree\nfour');
    });

    it('finds the one refused file among many', async () => {
      const worktree = await workspace.create({ id: 'BAC-21', title: 'Many files' });
      await writeFile(join(worktree.path, '.gitattributes'), '*.utf16 text working-tree-encoding=UTF-16\n');
      const names = Array.from({ length: 60 }, (_, i) => `file-${String(i).padStart(2, '0')}.txt`);
      for (const name of names) await writeFile(join(worktree.path, name), `${name}\n`);
      await writeFile(join(worktree.path, 'odd [name] *.utf16'), Buffer.from([0x41]));

      const summary = await workspace.commit(worktree, 'BAC-21: Many files');

      expect(summary.skipped?.map((s) => s.path)).toEqual(['odd [name] *.utf16']);
      expect(summary.filesChanged).toHaveLength(61);
      expect(await committedFiles(worktree.branch)).toEqual(
        ['.gitattributes', 'README.md', ...names, 'old.txt', 'router.ts'].sort(),
      );
    });

    it('leaves out a nested repository without a commit, and commits the rest', async () => {
      const worktree = await workspace.create({ id: 'BAC-22', title: 'Empty nested' });
      await mkdir(join(worktree.path, 'vendor', 'lib'), { recursive: true });
      await git(join(worktree.path, 'vendor', 'lib'), 'init', '--quiet');
      await writeFile(join(worktree.path, 'vendor', 'lib', 'lib.ts'), 'lib\n');
      await writeFile(join(worktree.path, 'app.ts'), 'app\n');

      // Before: "git add failed: error: 'vendor/lib/' does not have a commit checked out", and nothing committed.
      const summary = await workspace.commit(worktree, 'BAC-22');

      expect(summary.skipped).toEqual([{ path: 'vendor/lib', reason: NESTED_REPOSITORY }]);
      expect(summary.filesChanged).toEqual(['app.ts']);
    });

    /** A repository of its own at `path`, with one commit: what `git add` would take in as a gitlink. */
    async function nestedRepository(path: string): Promise<void> {
      await mkdir(path);
      await git(path, 'init', '--quiet');
      await writeFile(join(path, 'x.ts'), 'x\n');
      await git(path, 'add', 'x.ts');
      await git(path, '-c', 'user.name=A', '-c', 'user.email=a@b', 'commit', '-qm', 'nested');
    }

    it('never commits a nested repository as a gitlink', async () => {
      const worktree = await workspace.create({ id: 'BAC-23', title: 'Cloned nested' });
      // A name with spaces: git's status lists it as the rest of its line.
      await nestedRepository(join(worktree.path, 'cloned copy'));
      await writeFile(join(worktree.path, 'app.ts'), 'app\n');

      // Before, `cloned copy` was committed as mode 160000: a pointer to a commit that exists only on the runner.
      const summary = await workspace.commit(worktree, 'BAC-23');

      expect(summary.skipped).toEqual([{ path: 'cloned copy', reason: NESTED_REPOSITORY }]);
      expect(summary.filesChanged).toEqual(['app.ts']);
      expect(await git(repo, 'ls-tree', '-r', worktree.branch)).not.toMatch(/^160000/m);
    });

    /**
     * A branch whose base has the submodule `lib` at its first commit, and a worktree where the agent cloned it and
     * committed a second one inside it.
     */
    async function submoduleMovedOn(id: string, title: string) {
      const sub = makeRepo({ 'lib.ts': 'v1\n' }, join(dir, `sub-${id}`));
      const first = await git(sub, 'rev-parse', 'HEAD');
      await git(repo, 'update-index', '--add', '--cacheinfo', `160000,${first},lib`);
      await git(
        repo,
        '-c',
        'user.name=Dev',
        '-c',
        'user.email=dev@example.com',
        'commit',
        '-qm',
        'submodule',
      );
      const worktree = await workspace.create({ id, title });
      await rm(join(worktree.path, 'lib'), { recursive: true, force: true });
      await git(dir, 'clone', '--quiet', sub, join(worktree.path, 'lib'));
      await writeFile(join(worktree.path, 'lib', 'lib.ts'), 'v2\n');
      await git(
        join(worktree.path, 'lib'),
        '-c',
        'user.name=A',
        '-c',
        'user.email=a@b',
        'commit',
        '-qam',
        'v2',
      );
      return { sub, first, worktree };
    }

    it('leaves out a new commit in a submodule the branch already has, keeping the old pointer', async () => {
      const { first, worktree } = await submoduleMovedOn('BAC-24', 'Submodule');
      await writeFile(join(worktree.path, 'app.ts'), 'app\n');

      const summary = await workspace.commit(worktree, 'BAC-24');

      expect(summary.skipped).toEqual([{ path: 'lib', reason: NESTED_REPOSITORY }]);
      expect(summary.filesChanged).toEqual(['app.ts']);
      expect(await git(repo, 'rev-parse', `${worktree.branch}:lib`)).toBe(first);
    });

    it("leaves out a submodule's new commit even when .gitmodules tells git to ignore the submodule", async () => {
      const { sub, first, worktree } = await submoduleMovedOn('BAC-25', 'Ignored submodule');
      // Written by the agent: git's diff would not show the submodule's change unless told to.
      await writeFile(
        join(worktree.path, '.gitmodules'),
        `[submodule "lib"]\n\tpath = lib\n\turl = ${sub}\n\tignore = all\n`,
      );
      // Staged by the agent itself, as newer versions of git's add leave an ignored submodule alone.
      await git(worktree.path, 'add', '--force', 'lib');

      const summary = await workspace.commit(worktree, 'BAC-25');

      expect(summary.skipped).toEqual([{ path: 'lib', reason: NESTED_REPOSITORY }]);
      expect(summary.filesChanged).toEqual(['.gitmodules']);
      expect(await git(repo, 'rev-parse', `${worktree.branch}:lib`)).toBe(first);
    });

    it('takes a nested repository the agent committed itself out of the branch, as it reports', async () => {
      const worktree = await workspace.create({ id: 'BAC-26', title: 'Own gitlink' });
      await nestedRepository(join(worktree.path, 'nested'));
      await writeFile(join(worktree.path, 'app.ts'), 'app\n');
      await git(worktree.path, 'add', 'app.ts', 'nested');
      await git(worktree.path, '-c', 'user.name=Agent', '-c', 'user.email=a@b', 'commit', '-qm', 'own');

      const summary = await workspace.commit(worktree, 'BAC-26');

      expect(summary.skipped).toEqual([{ path: 'nested', reason: NESTED_REPOSITORY }]);
      expect(summary.filesChanged).toEqual(['app.ts']);
      expect(summary.commit).toBe(await git(repo, 'rev-parse', worktree.branch));
      expect(await git(repo, 'ls-tree', '-r', worktree.branch)).not.toMatch(/^160000/m);
    });
  });

  it('puts the .git file back even when git cannot stage, and fails with why staging failed', async () => {
    const worktree = await workspace.create({ id: 'BAC-13', title: '' });
    await writeFile(join(worktree.path, 'app.ts'), 'app\n');
    await rm(join(worktree.path, '.git'));
    await writeFile(join(worktree.path, '.git'), 'gitdir: /nowhere\n');
    // A base git does not have: the diff that reads what is staged fails.
    const gone = { ...worktree, base: 'f'.repeat(40) };

    await expect(workspace.commit(gone, 'no base')).rejects.toThrow(/git diff failed/);
    expect(await readFile(join(worktree.path, '.git'), 'utf8')).toBe(`gitdir: ${worktree.gitDir}\n`);
  });

  describe('pushing', () => {
    it('says that nothing was pushed, and why, when there is no origin', async () => {
      const worktree = await workspace.create({ id: 'BAC-30', title: 'Local only' });
      await writeFile(join(worktree.path, 'app.ts'), 'app\n');
      await workspace.commit(worktree, 'BAC-30');

      expect(await workspace.push(worktree)).toEqual({
        pushed: false,
        reason: `not pushed: the repository has no remote named origin, so ${worktree.branch} exists only on this runner`,
      });
    });

    it('pushes the branch to origin', async () => {
      const origin = addBareOrigin(repo);
      const worktree = await workspace.create({ id: 'BAC-31', title: 'Published' });
      await writeFile(join(worktree.path, 'app.ts'), 'app\n');
      const { commit } = await workspace.commit(worktree, 'BAC-31');

      expect(await workspace.push(worktree)).toEqual({ pushed: true });
      expect(await git(origin, 'rev-parse', worktree.branch)).toBe(commit);
    });

    it('rejects when origin refuses the push', async () => {
      await git(repo, 'remote', 'add', 'origin', join(dir, 'no-such-remote'));
      const worktree = await workspace.create({ id: 'BAC-32', title: 'Refused' });
      await expect(workspace.push(worktree)).rejects.toThrow(/^git push failed: /);
    });
  });

  it('keeps serving after a failed command', async () => {
    await expect(workspace.create({ id: 'BAC-1', title: '' })).resolves.toBeDefined();
    await expect(workspace.create({ id: 'bac-1', title: 'same directory' })).rejects.toThrow(
      /already exists and is not empty/,
    );
    await expect(workspace.create({ id: 'BAC-2', title: '' })).resolves.toBeDefined();
  });

  describe('with a stand-in git first on PATH', () => {
    const saved = { ...process.env };
    let log: string;

    beforeEach(async () => {
      const bin = join(dir, 'bin');
      log = join(dir, 'git.log');
      await mkdir(bin);
      // Records each call's start, environment and end; the pause lets overlapping calls show.
      const script = `#!/bin/sh\necho "begin $*" >> '${log}'\nenv >> '${log}'\nsleep 0.05\necho "end $*" >> '${log}'\n`;
      await writeFile(join(bin, 'git'), script);
      await chmod(join(bin, 'git'), 0o755);
      process.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
    });

    afterEach(() => {
      process.env = { ...saved };
    });

    it('asks for the new commit when git committed without naming it', async () => {
      const real = (
        await execFileAsync('sh', ['-c', `PATH='${saved.PATH ?? ''}' command -v git`])
      ).stdout.trim();
      // This stand-in passes every command to git, but prints nothing of what `commit` says.
      const script = `#!/bin/sh\ncase " $* " in *" commit "*) exec '${real}' "$@" >/dev/null ;; esac\nexec '${real}' "$@"\n`;
      await writeFile(join(dir, 'bin', 'git'), script);
      const worktree = await workspace.create({ id: 'BAC-14', title: '' });
      // The agent's own commit, undone in its worktree: the undo is the commit git makes and does not name.
      await writeFile(join(worktree.path, 'README.md'), '# changed\n');
      await git(worktree.path, '-c', 'user.name=Agent', '-c', 'user.email=a@b', 'commit', '-q', '-am', 'own');
      const own = await git(worktree.path, 'rev-parse', 'HEAD');
      await writeFile(join(worktree.path, 'README.md'), '# demo\n');

      const summary = await workspace.commit(worktree, 'quiet');

      expect(summary.commit).toBe(await git(repo, 'rev-parse', worktree.branch));
      expect(await git(repo, 'rev-parse', `${worktree.branch}^`)).toBe(own);
    });

    it('passes git no tokens from the parent environment', async () => {
      process.env.GITHUB_TOKEN = 'ghs_secret';
      process.env.ANTHROPIC_API_KEY = 'sk-ant-secret';
      process.env.INPUT_LINEAR_API_KEY = 'lin_secret';
      process.env.GIT_DIR = '/elsewhere';

      await workspace.prune();

      const env = await readFile(log, 'utf8');
      expect(env).toMatch(/^GIT_TERMINAL_PROMPT=0$/m);
      expect(env).toMatch(/^PATH=/m);
      expect(env).not.toContain('secret');
      expect(env).not.toContain('GIT_DIR');
    });
  });
});

describe('a worktree opened before its files are checked out', () => {
  const files = {
    'README.md': '# Sparse\n',
    'src/top.ts': 'top\n',
    'src/a/x.ts': 'x\n',
    'src/b/y.ts': 'y\n',
    'docs/d.md': 'd\n',
  };
  let repo: string;
  let workspace: Workspace;
  beforeEach(() => {
    repo = makeRepo(files);
    workspace = new Workspace({ repo, root: join(tempDir(), 'worktrees') });
  });

  it('is handed over before git has registered it, and says when git has', async () => {
    const worktree = await workspace.open({ id: 'BAC-48', title: 'Handed over' });
    // Where it goes and its branch are known at once; git's own bookkeeping follows.
    expect(worktree.path).toBe(join(workspace.root, 'bac-48'));
    expect(worktree.gitDir).toBe('');
    await worktree.added;
    expect(await git(worktree.path, 'branch', '--show-current')).toBe(worktree.branch);
    expect(await readFile(join(worktree.path, '.git'), 'utf8')).toBe(`gitdir: ${worktree.gitDir}\n`);
  });

  it('leaves alone what sits where a worktree git could not make would go', async () => {
    await mkdir(join(workspace.root, 'bac-49'), { recursive: true });
    await writeFile(join(workspace.root, 'bac-49', 'mine'), "not the agent's\n");
    const worktree = await workspace.open({ id: 'BAC-49', title: 'Occupied' });
    await expect(worktree.added).rejects.toThrow(
      `${join(workspace.root, 'bac-49')} already exists and is not empty: it is left as it is; move it away, then run again`,
    );
    await workspace.remove(worktree);
    expect(await readFile(join(workspace.root, 'bac-49', 'mine'), 'utf8')).toBe("not the agent's\n");
  });

  it('leaves alone a file where the worktree would go', async () => {
    await mkdir(workspace.root, { recursive: true });
    await writeFile(join(workspace.root, 'bac-53'), "not the agent's\n");
    const worktree = await workspace.open({ id: 'BAC-53', title: 'A file' });
    await expect(worktree.added).rejects.toThrow(
      `${join(workspace.root, 'bac-53')} already exists and is not a directory: it is left as it is; move it away, then run again`,
    );
    await workspace.remove(worktree);
    expect(await readFile(join(workspace.root, 'bac-53'), 'utf8')).toBe("not the agent's\n");
  });

  it('waits for the checkout before it commits, so files not yet written never look deleted', async () => {
    const worktree = await workspace.open({ id: 'BAC-42', title: 'Early commit' });

    expect(await workspace.commit(worktree, 'nothing')).toEqual({
      filesChanged: [],
      insertions: 0,
      deletions: 0,
    });
    expect(await git(repo, 'rev-parse', worktree.branch)).toBe(worktree.base);
  });

  it('keeps a worktree whose .git went missing when a prune runs', async () => {
    const kept = await workspace.open({ id: 'BAC-45', title: 'Kept' });
    await kept.ready!();
    await writeFile(join(kept.path, 'work.md'), 'work\n');
    await rm(join(kept.path, '.git'));
    // As a second run's start, or git's own gc, would.
    await git(repo, 'worktree', 'prune');

    const summary = await workspace.commit(kept, 'BAC-45: Kept');
    expect(summary.filesChanged).toEqual(['work.md']);
  });

  it('frees the branches of worktrees an earlier run left locked, once their directories are gone', async () => {
    const root = join(tempDir(), 'worktrees');
    const earlier = await new Workspace({ repo, root }).open({ id: 'BAC-47', title: 'Killed' });
    await earlier.ready!();
    await rm(earlier.path, { recursive: true });

    const next = new Workspace({ repo, root });
    await next.prune();
    const again = await next.open({ id: 'BAC-47', title: 'Killed' });
    await again.ready!();
    expect(await git(again.path, 'branch', '--show-current')).toBe(earlier.branch);
  });

  it('is a worktree as git itself makes one: locked, on its branch, under a name of its own', async () => {
    // Another worktree, made by git, already holds the name git would give this one.
    const other = join(tempDir(), 'bac-50');
    await git(repo, 'worktree', 'add', '--quiet', '-b', 'mine', other);
    const worktree = await workspace.open({ id: 'BAC-50', title: 'Named' });
    await worktree.ready!();

    expect(worktree.gitDir).toBe(join(repo, '.git', 'worktrees', 'bac-501'));
    const list = await git(repo, 'worktree', 'list', '--porcelain');
    expect(list).toContain(
      `worktree ${worktree.path}\nHEAD ${worktree.base}\nbranch refs/heads/${worktree.branch}\nlocked in use by parallel-agents`,
    );
    expect(list).toContain(`worktree ${other}\n`);
    expect(await git(worktree.path, 'status', '--porcelain')).toBe('');
    expect(await git(repo, 'rev-parse', worktree.branch)).toBe(worktree.base);
    // Git refuses the branch elsewhere while the worktree has it, and gives it up once it is removed.
    await expect(
      git(repo, 'worktree', 'add', '--quiet', join(tempDir(), 'x'), worktree.branch),
    ).rejects.toThrow(/already (checked out|used by worktree)/);
    await workspace.remove(worktree);
    await git(repo, 'worktree', 'add', '--quiet', join(tempDir(), 'y'), worktree.branch);
  });

  it('records where the worktree really is when its root is reached through a link', async () => {
    const real = tempDir();
    const link = join(tempDir(), 'link');
    await symlink(real, link);
    const linked = new Workspace({ repo, root: join(link, 'worktrees') });
    const worktree = await linked.create({ id: 'BAC-52', title: 'Linked' });

    expect(worktree.path).toBe(join(link, 'worktrees', 'bac-52'));
    expect(await readFile(join(worktree.gitDir, 'gitdir'), 'utf8')).toBe(
      `${join(await realpath(real), 'worktrees', 'bac-52', '.git')}\n`,
    );
    expect(await git(worktree.path, 'status', '--porcelain')).toBe('');
    expect(await git(repo, 'worktree', 'list', '--porcelain')).not.toContain('prunable');
  });

  it('takes a removed worktree away at once, deletes its files in the background, and frees its branch', async () => {
    const worktree = await workspace.open({ id: 'BAC-44', title: 'Gone' });
    const other = await workspace.open({ id: 'BAC-45', title: 'Gone too' });
    await workspace.commit(worktree, 'nothing');
    // `git worktree add` writes its bookkeeping file by file: a list while it is at work fails on a half-made entry.
    await other.added;
    expect(await git(repo, 'worktree', 'list', '--porcelain')).toContain(`${worktree.path}\nHEAD`);
    await workspace.remove(worktree);
    await workspace.remove(other);

    expect(await exists(join(worktree.path, 'README.md'))).toBe(false);
    expect(await git(repo, 'worktree', 'list', '--porcelain')).not.toContain(worktree.path);
    await git(repo, 'branch', '-f', worktree.branch, 'HEAD');
    // Both deleted by one process the action started, with nothing of its environment but PATH, which ends once it
    // has had nothing to delete for a while.
    const [deleter] = await deleters();
    expect(await deleters()).toHaveLength(1);
    expect((await readFile(`/proc/${deleter}/environ`, 'utf8')).split('\0').filter(Boolean)).toEqual([
      `PATH=${process.env.PATH}`,
    ]);
    const removed = join(workspace.root, '.removed');
    for (let i = 0; i < 200 && (await readdir(removed)).length > 0; i++) await setTimeout(50);
    expect(await readdir(removed)).toEqual([]);
    for (let i = 0; i < 100 && (await deleters()).length > 0; i++) await setTimeout(50);
    expect(await deleters()).toEqual([]);
  });
});

/** The `xargs` this process has started that are still running: the deleting process of worktrees.ts. */
async function deleters(): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    if (/^Name:\s+xargs$/m.test(status) && new RegExp(`^PPid:\\s+${process.pid}$`, 'm').test(status))
      found.push(pid);
  }
  return found;
}

describe('a worktree whose .git the agent rewrote', () => {
  it('commits to the real branch and runs nothing the fake git directory asks for', async () => {
    const repo = makeRepo({ 'README.md': '# Real\n' });
    const workspace = new Workspace({ repo, root: join(tempDir(), 'worktrees') });
    const worktree = await workspace.create({ id: 'EVIL-1', title: 'rewrite .git' });
    const marker = join(worktree.path, '..', 'fsmonitor-ran');
    // What the file tools alone could write: a git directory of its own, and .git pointing at it.
    const fake = join(worktree.path, 'evil');
    await mkdir(join(fake, 'objects'), { recursive: true });
    await mkdir(join(fake, 'refs'), { recursive: true });
    await writeFile(join(fake, 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(
      join(fake, 'config'),
      `[core]\n\trepositoryformatversion = 0\n\tfsmonitor = "touch ${marker}"\n`,
    );
    await writeFile(join(worktree.path, '.git'), `gitdir: ${fake}\n`);
    await writeFile(join(worktree.path, 'work.md'), 'real work\n');

    const summary = await workspace.commit(worktree, 'EVIL-1: rewrite .git');

    expect(await exists(marker)).toBe(false);
    expect(summary.filesChanged).toContain('work.md');
    expect(await git(repo, 'show', `${worktree.branch}:work.md`)).toBe('real work');
  });
});
