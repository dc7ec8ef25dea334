import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkMerges, MergeCheckError, pushBranch, resolveCommit } from '../../src/git/merge-check.js';
import { addBareOrigin, git, makeRepo } from '../../support/git-repo.js';

const ROUTER = 'export function route(model) {\n  return "openai";\n}\n';

/**
 * A branch from `from` (main) with `files` written (a null content deletes the file) and committed; returns its tip.
 */
function branch(repo: string, name: string, files: Record<string, string | null>, from = 'main'): string {
  git(repo, 'checkout', '-q', '-b', name, from);
  for (const [file, content] of Object.entries(files)) {
    if (content === null) {
      fs.rmSync(path.join(repo, file));
      continue;
    }
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), content);
  }
  git(repo, 'add', '-A');
  git(repo, '-c', 'user.name=Agent', '-c', 'user.email=agent@example.com', 'commit', '-qm', name);
  const tip = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '-q', 'main');
  return tip;
}

/** Three agents' branches: two edit the same line of the router, the third adds a changelog. */
function threeBranches() {
  const repo = makeRepo({ 'src/router.js': ROUTER, 'README.md': '# Gateway\n' });
  const base = git(repo, 'rev-parse', 'HEAD');
  const a = branch(repo, 'parallel-agents/bac-1', { 'src/router.js': ROUTER.replace('openai', 'anthropic') });
  const b = branch(repo, 'parallel-agents/bac-2', { 'src/router.js': ROUTER.replace('openai', 'mistral') });
  const c = branch(repo, 'parallel-agents/bac-3', { 'CHANGELOG.md': '# Changelog\n' });
  const candidates = [
    { task: 'BAC-1', branch: 'parallel-agents/bac-1', commit: a },
    { task: 'BAC-2', branch: 'parallel-agents/bac-2', commit: b },
    { task: 'BAC-3', branch: 'parallel-agents/bac-3', commit: c },
  ];
  return { repo, base, candidates };
}

/** What git itself says of merging `a` and `b`: the files in conflict, none when it merges cleanly. */
function conflictingFiles(repo: string, a: string, b: string): string[] {
  try {
    git(repo, 'merge-tree', '--write-tree', '--name-only', '--no-messages', a, b);
    return [];
  } catch (error) {
    return String((error as { stdout?: unknown }).stdout ?? '')
      .trim()
      .split('\n')
      .slice(1);
  }
}

/**
 * A `git` first on PATH that logs each subcommand to a file and runs the real one: which commands a step ran, with
 * git still doing the work.
 */
function countingGit(): { count: (subcommand: string) => number; restore: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-git-log-'));
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const log = path.join(dir, 'log');
  fs.writeFileSync(log, '');
  fs.writeFileSync(
    path.join(dir, 'git'),
    `#!/bin/sh\nfor a in "$@"; do case "$a" in -*|*=*) ;; *) echo "$a" >> '${log}'; break;; esac; done\nexec '${real}' "$@"\n`,
    { mode: 0o755 },
  );
  const path0 = process.env.PATH;
  process.env.PATH = `${dir}:${path0}`;
  return {
    count: (subcommand) =>
      fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line === subcommand).length,
    restore: () => {
      process.env.PATH = path0;
    },
  };
}

describe('checkMerges', () => {
  it('trial-merges only branches whose changes meet: two of eight edit the same file', async () => {
    const repo = makeRepo({ 'src/router.js': ROUTER, 'README.md': '# Gateway\n' });
    const base = git(repo, 'rev-parse', 'HEAD');
    const candidates = [
      { 'src/router.js': ROUTER.replace('openai', 'anthropic') },
      { 'src/router.js': ROUTER.replace('openai', 'mistral') },
      ...Array.from({ length: 6 }, (_, i) => ({ [`notes/n${i}/BAC-${i + 3}.md`]: `note ${i}\n` })),
    ].map((files, i) => {
      const name = `parallel-agents/bac-${i + 1}`;
      return { task: `BAC-${i + 1}`, branch: name, commit: branch(repo, name, files) };
    });
    const git_ = countingGit();
    let check;
    try {
      check = await checkMerges({ repo, base, candidates });
    } finally {
      git_.restore();
    }
    expect(check.conflicts).toEqual([{ tasks: ['BAC-1', 'BAC-2'], files: ['src/router.js'] }]);
    expect(check.order).toEqual(['BAC-1', ...candidates.slice(2).map((c) => c.task)]);
    expect(check.leftOut).toEqual([{ task: 'BAC-2', reason: 'conflicts with BAC-1 in src/router.js' }]);
    // The pair that shares a file, then BAC-2 onto BAC-1; not 28 pairs and 7 merges.
    expect(git_.count('merge-tree')).toBe(2);
    expect(git_.count('diff-tree')).toBe(1);
  });

  it('agrees with git where changes to different paths still meet: a file and a directory, a renamed directory, a branch from an older commit', async () => {
    const repo = makeRepo({ 'src/router.js': ROUTER, 'docs/a.md': 'a\n', 'docs/b.md': 'b\n' });
    const older = git(repo, 'rev-parse', 'HEAD');
    fs.writeFileSync(path.join(repo, 'src/router.js'), ROUTER.replace('openai', 'cohere'));
    git(repo, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-qam', 'cohere');
    const base = git(repo, 'rev-parse', 'HEAD');
    const tips = {
      file: branch(repo, 'p/file', { lib: 'a file\n' }),
      dir: branch(repo, 'p/dir', { 'lib/x.js': 'x\n' }),
      moved: branch(repo, 'p/moved', {
        'docs/a.md': null,
        'docs/b.md': null,
        'guide/a.md': 'a\n',
        'guide/b.md': 'b\n',
      }),
      added: branch(repo, 'p/added', { 'docs/c.md': 'c\n' }),
      // From before the base: its router differs from the base's, as it changed it from the older commit.
      old: branch(repo, 'p/old', { 'src/router.js': ROUTER.replace('openai', 'mistral') }, older),
      other: branch(repo, 'p/other', { 'src/other.js': 'other\n' }),
    };
    const candidates = Object.entries(tips).map(([task, commit]) => ({ task, branch: `p/${task}`, commit }));
    const check = await checkMerges({ repo, base, candidates });
    const expected = [];
    for (const [i, a] of candidates.entries()) {
      for (const b of candidates.slice(i + 1)) {
        const files = conflictingFiles(repo, a.commit, b.commit);
        if (files.length) expected.push({ tasks: [a.task, b.task], files });
      }
    }
    expect(expected.map((c) => c.tasks)).toEqual(expect.arrayContaining([['file', 'dir']]));
    expect(check.conflicts).toEqual(expected);
  });

  it('shows two branches that edit the same lines as conflicting, and leaves the later one out of the order', async () => {
    const { repo, base, candidates } = threeBranches();
    const check = await checkMerges({ repo, base, candidates });
    expect(check.conflicts).toEqual([{ tasks: ['BAC-1', 'BAC-2'], files: ['src/router.js'] }]);
    expect(check.order).toEqual(['BAC-1', 'BAC-3']);
    expect(check.leftOut).toEqual([{ task: 'BAC-2', reason: 'conflicts with BAC-1 in src/router.js' }]);
    expect(check.combined).toBeUndefined();
    // Nothing was checked out or written to a branch: the trial merges need no worktree.
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'branch', '--list', 'parallel-agents/combined*')).toBe('');
  });

  it('merges branches that edit different files cleanly', async () => {
    const { repo, base, candidates } = threeBranches();
    const check = await checkMerges({ repo, base, candidates: [candidates[0]!, candidates[2]!] });
    expect(check.conflicts).toEqual([]);
    expect(check.order).toEqual(['BAC-1', 'BAC-3']);
    expect(check.leftOut).toEqual([]);
  });

  it('builds the combined branch in the order given, with the conflicting branch left out', async () => {
    const { repo, base, candidates } = threeBranches();
    const check = await checkMerges({
      repo,
      base,
      candidates,
      combined: { branch: 'parallel-agents/combined-7', message: (task) => `Merge ${task}` },
    });
    const tip = git(repo, 'rev-parse', 'parallel-agents/combined-7');
    expect(check.combined).toEqual({ branch: 'parallel-agents/combined-7', commit: tip });
    expect(git(repo, 'show', `${tip}:src/router.js`)).toContain('anthropic');
    expect(git(repo, 'show', `${tip}:CHANGELOG.md`)).toBe('# Changelog');
    // BAC-1 is the first branch as it is; BAC-3 is merged on top of it.
    expect(git(repo, 'log', '--first-parent', '--format=%s', tip)).toBe(
      'Merge BAC-3\nparallel-agents/bac-1\ninitial',
    );
    expect(git(repo, 'rev-parse', `${tip}^1`, `${tip}^2`)).toBe(
      `${candidates[0]!.commit}\n${candidates[2]!.commit}`,
    );
    expect(git(repo, 'log', '--format=%an', '-1', tip)).toBe('parallel-agents[bot]');
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(base);
  });

  it('keeps a branch whose agent did not succeed in the matrix but out of the order, saying why', async () => {
    const { repo, base, candidates } = threeBranches();
    const check = await checkMerges({
      repo,
      base,
      candidates: [
        { ...candidates[0]!, notMergeable: 'its agent did not succeed (timed out)' },
        candidates[1]!,
      ],
    });
    expect(check.conflicts).toHaveLength(1);
    expect(check.order).toEqual(['BAC-2']);
    expect(check.leftOut).toEqual([{ task: 'BAC-1', reason: 'its agent did not succeed (timed out)' }]);
  });

  it('names every branch already in the order that it conflicts with', async () => {
    const repo = makeRepo({ 'a.txt': '1\n2\n3\n4\n5\n6\n7\n' });
    const base = git(repo, 'rev-parse', 'HEAD');
    const a = branch(repo, 'a', { 'a.txt': '1\nA\n3\n4\n5\n6\n7\n' });
    const b = branch(repo, 'b', { 'a.txt': '1\n2\n3\n4\n5\nB\n7\n' });
    // Changes the lines both of them changed.
    const c = branch(repo, 'c', { 'a.txt': '1\nC\n3\n4\n5\nC\n7\n' });
    const check = await checkMerges({
      repo,
      base,
      candidates: [
        { task: 'A-1', branch: 'a', commit: a },
        { task: 'B-1', branch: 'b', commit: b },
        { task: 'C-1', branch: 'c', commit: c },
      ],
    });
    expect(check.order).toEqual(['A-1', 'B-1']);
    expect(check.leftOut).toEqual([{ task: 'C-1', reason: 'conflicts with A-1, B-1 in a.txt' }]);
  });

  it('fails in one line naming the git command when a commit does not exist', async () => {
    const { repo, base, candidates } = threeBranches();
    const missing = { ...candidates[0]!, commit: '0123456789012345678901234567890123456789' };
    const failed = checkMerges({ repo, base, candidates: [missing, candidates[1]!] });
    await expect(failed).rejects.toThrow(MergeCheckError);
    await expect(failed).rejects.toThrow(/^git merge-tree failed: .*not something we can merge$/);
    await expect(resolveCommit(repo, 'no-such-branch')).rejects.toThrow(/^git rev-parse failed: /);
  });
});

describe('pushBranch', () => {
  it('pushes a branch to origin, replacing what an earlier run left there', async () => {
    const { repo, base, candidates } = threeBranches();
    const origin = addBareOrigin(repo);
    git(repo, 'update-ref', 'refs/heads/parallel-agents/combined', candidates[0]!.commit);
    await pushBranch(repo, 'parallel-agents/combined');
    expect(git(origin, 'rev-parse', 'refs/heads/parallel-agents/combined')).toBe(candidates[0]!.commit);
    // A re-run builds another combined branch; the push replaces the old one, not a fast-forward.
    git(repo, 'update-ref', 'refs/heads/parallel-agents/combined', candidates[1]!.commit);
    await pushBranch(repo, 'parallel-agents/combined', 'ghs_notUsedForALocalOrigin');
    expect(git(origin, 'rev-parse', 'refs/heads/parallel-agents/combined')).toBe(candidates[1]!.commit);
    expect(git(repo, 'config', '--list')).not.toContain('ghs_');
    expect(base).toBe(git(repo, 'rev-parse', 'main'));
  });

  it('says there is no origin to push to', async () => {
    const { repo } = threeBranches();
    await expect(pushBranch(repo, 'main')).rejects.toThrow(/^git remote get-url origin failed: .*origin/);
  });
});
