import type { SkippedFile } from '../result.js';
import { git, gitMessage, GitError } from './runner.js';

/** Identity of the commits holding an agent's changes. */
export const COMMIT_AUTHOR = {
  name: 'parallel-agents[bot]',
  email: 'parallel-agents@users.noreply.github.com',
} as const;

/** Why a nested repository is left out: git would record only its commit id (a gitlink), which nobody can fetch. */
export const NESTED_REPOSITORY =
  'a git repository of its own (it has a .git): left out, as git would record only a pointer to a commit ' +
  'no one can fetch; remove its .git to commit its files';

/** What an agent's work added to its branch, measured from the worktree's base. */
export interface CommitSummary {
  /** Tip of the branch; absent when the agent changed nothing. */
  commit?: string;
  filesChanged: string[];
  insertions: number;
  deletions: number;
  /** Changes that are not in the commit, each with why; absent when everything went in. */
  skipped?: SkippedFile[];
}

/** What {@link stageAll} staged, measured against the base, and what it had to leave out. */
export interface Staging {
  skipped: SkippedFile[];
  stats: Omit<CommitSummary, 'commit'>;
}

/** A working tree to commit in: where it is, the git options that tie a command to it, and its base commit. */
export interface CommitTarget {
  path: string;
  /** `--git-dir=… --work-tree=…`: git is told where the repository is, never reads the worktree's `.git`. */
  inTree: readonly string[];
  base: string;
  /** The branch the commit goes to. */
  branch: string;
}

/** A branch whose history no longer holds the commit it started from: nothing of it is committed or pushed. */
export class ForeignHistoryError extends Error {
  override name = 'ForeignHistoryError';
}

/**
 * Commits the index as {@link stageAll} left it to the branch and measures the branch against its base, so commits
 * the agent made itself (without the sandbox, in the repository) are counted too. Nothing changed → no commit. A
 * branch that does not descend from its base is refused with a {@link ForeignHistoryError}; `headAtBase` says the
 * branch cannot have moved (no command ran in the worktree), so neither is asked of git.
 */
export async function commitStaged(
  target: CommitTarget,
  message: string,
  staging: Staging,
  { headAtBase = false } = {},
): Promise<CommitSummary> {
  const { path, inTree, base } = target;
  const headOf = async () => (await git(path, [...inTree, 'rev-parse', '--verify', 'HEAD^{commit}'])).trim();
  // Where nothing but the file tools touched the worktree, HEAD is where git put it: no git process to ask.
  if (!headAtBase) await refuseForeignHistory(target);
  // An index that matches the base leaves nothing to commit, unless the branch has moved on from the base (the
  // agent's own commits); otherwise git itself says when the index holds nothing new for the branch.
  let head = staging.stats.filesChanged.length > 0 ? undefined : headAtBase ? base : await headOf();
  if (head !== base) {
    const made = await commitIndex(path, inTree, message);
    head = made.committed ? (made.id ?? (await headOf())) : (head ?? (await headOf()));
  }
  const summary: CommitSummary =
    head === base ? { filesChanged: [], insertions: 0, deletions: 0 } : { commit: head, ...staging.stats };
  return staging.skipped.length > 0 ? { ...summary, skipped: staging.skipped } : summary;
}

/**
 * Stages every change in the worktree that git can commit; returns the ones it cannot, and what the index then holds
 * against the base (which is what the branch will hold once committed). One `add` usually does it; a nested
 * repository that has a commit comes in as a gitlink, which is taken out again (see {@link unstageGitlinks}). When git
 * refuses, the changes are staged with care (see {@link stageCarefully}).
 */
export async function stageAll({
  path,
  inTree,
  base,
}: Pick<CommitTarget, 'path' | 'inTree' | 'base'>): Promise<Staging> {
  // `--sparse` throughout: in a sparse checkout, what the agent wrote outside the cone is its work too.
  const skipped: SkippedFile[] = [];
  try {
    await git(path, [...inTree, 'add', '--sparse', '--all', '--', '.']);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    skipped.push(...(await stageCarefully(path, inTree)));
  }
  let staged = await stagedChanges(path, inTree, base);
  if (staged.gitlinks.length > 0) {
    await unstageGitlinks(path, inTree, base, staged.gitlinks);
    skipped.push(...staged.gitlinks.map((file) => ({ path: file, reason: NESTED_REPOSITORY })));
    // The index changed under the first reading; seldom needed, so asked again rather than worked out.
    staged = await stagedChanges(path, inTree, base);
  }
  return { skipped, stats: staged.stats };
}

/**
 * Throws a {@link ForeignHistoryError} unless HEAD descends from the target's base. In the sandbox the agent's git
 * cannot move the branch; a shell without it can point it at any history, which the commit would extend.
 */
async function refuseForeignHistory({ path, inTree, base, branch }: CommitTarget): Promise<void> {
  try {
    await git(path, [...inTree, 'merge-base', '--is-ancestor', base, 'HEAD']);
  } catch (error) {
    if (!(error instanceof GitError) || error.exitCode !== 1) throw error;
    throw new ForeignHistoryError(
      `${branch} does not descend from its base ${base.slice(0, 12)} (its history was replaced), so none of it is ` +
        'committed or pushed',
    );
  }
}

/**
 * Stages what git can commit when a plain `add` was refused, and returns the rest. Nested repositories are left out
 * up front (`git add` refuses one without a commit). One file that `git add` refuses (a failing
 * `working-tree-encoding`, say) fails the whole command, so then the changes are added in halves until each refused
 * file is alone.
 */
async function stageCarefully(cwd: string, inTree: readonly string[]): Promise<SkippedFile[]> {
  const untracked = nulSeparated(
    await git(cwd, [...inTree, 'ls-files', '-z', '--others', '--exclude-standard']),
  );
  // A directory git will not go into, because it has a .git of its own, is listed with a trailing slash.
  const nested = untracked.filter((path) => path.endsWith('/')).map((path) => path.slice(0, -1));
  const skipped: SkippedFile[] = nested.map((path) => ({ path, reason: NESTED_REPOSITORY }));
  const excluded = nested.map((path) => `:(exclude,literal)${path}`);
  try {
    await git(cwd, [...inTree, 'add', '--sparse', '--all', '--', '.', ...excluded]);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const tracked = nulSeparated(await git(cwd, [...inTree, 'ls-files', '-z', '--modified', '--deleted']));
    const changed = [...new Set([...tracked, ...untracked.filter((path) => !path.endsWith('/'))])];
    skipped.push(...(await addInHalves(cwd, inTree, changed)));
  }
  return skipped;
}

/** Adds `paths`; when git refuses, adds each half on its own, down to the single paths it refuses. */
async function addInHalves(cwd: string, inTree: readonly string[], paths: string[]): Promise<SkippedFile[]> {
  if (paths.length === 0) return [];
  try {
    // Paths on stdin, taken literally: no length limit on the command line, no glob in a file name.
    await git(
      cwd,
      [
        '--literal-pathspecs',
        ...inTree,
        'add',
        '--sparse',
        '--all',
        '--pathspec-from-file=-',
        '--pathspec-file-nul',
      ],
      { input: paths.join('\0') },
    );
    return [];
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    if (paths.length === 1) return [{ path: paths[0]!, reason: `git add refused it: ${gitMessage(error)}` }];
    const half = Math.ceil(paths.length / 2);
    return [
      ...(await addInHalves(cwd, inTree, paths.slice(0, half))),
      ...(await addInHalves(cwd, inTree, paths.slice(half))),
    ];
  }
}

/**
 * Takes `gitlinks` the commit would add or change (nested repositories, a submodule's new commit) out of the index,
 * restoring what the base had there, even where the agent committed one itself. A submodule the agent removed stays
 * removed.
 */
async function unstageGitlinks(
  cwd: string,
  inTree: readonly string[],
  base: string,
  gitlinks: string[],
): Promise<void> {
  await git(cwd, ['--literal-pathspecs', ...inTree, 'reset', '--quiet', base, '--', ...gitlinks]);
}

/**
 * Commits the index with the action's identity: the new commit's id (when git's summary line names it), or that git
 * found nothing to commit (it then exits 1 with nothing on stderr, in any language). The message goes on standard
 * input, so no title is too long for a command line.
 */
async function commitIndex(
  cwd: string,
  inTree: readonly string[],
  message: string,
): Promise<{ committed: true; id?: string } | { committed: false }> {
  try {
    const out = await git(cwd, [...inTree, 'commit', '--no-verify', '--file=-'], {
      input: message,
      config: [
        ['user.name', COMMIT_AUTHOR.name],
        ['user.email', COMMIT_AUTHOR.email],
        ['commit.gpgsign', 'false'],
        // The new commit's whole id in the summary line (`[branch <id>] subject`), so no second git asks for it.
        ['core.abbrev', 'no'],
      ],
    });
    const id = /^\[.* ([0-9a-f]{40,64})\]/m.exec(out)?.[1];
    return id ? { committed: true, id } : { committed: true };
  } catch (error) {
    if (error instanceof GitError && error.exitCode === 1 && error.stderr.trim() === '')
      return { committed: false };
    throw error;
  }
}

/** What the index holds against `base`: the files and lines changed, and the gitlinks among them. */
async function stagedChanges(
  cwd: string,
  inTree: readonly string[],
  base: string,
): Promise<{ stats: Omit<CommitSummary, 'commit'>; gitlinks: string[] }> {
  // One git for both: `--raw` names each entry's mode (a gitlink is 160000), `--numstat` counts its lines. -z keeps
  // unusual file names verbatim; without renames a moved file is one deletion and one addition.
  const out = await git(cwd, [
    ...inTree,
    'diff',
    '--cached',
    '--raw',
    '--numstat',
    // Whatever the repository's (or the agent's) `.gitmodules` says: a submodule's new commit must show, to be left out.
    '--ignore-submodules=none',
    '-z',
    '--no-renames',
    '--no-textconv',
    base,
  ]);
  const records = out.split('\0');
  const gitlinks: string[] = [];
  const stats = { filesChanged: [] as string[], insertions: 0, deletions: 0 };
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    // `:<old mode> <new mode> <old id> <new id> <status>`, then the path as a record of its own.
    if (record.startsWith(':')) {
      const path = records[++i] ?? '';
      if (record.split(' ')[1] === '160000') gitlinks.push(path);
      continue;
    }
    const match = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(record);
    if (!match) continue;
    const [, added = '-', deleted = '-', file = ''] = match;
    stats.filesChanged.push(file);
    // Binary files show `-`: changed, but no lines to count.
    stats.insertions += added === '-' ? 0 : Number(added);
    stats.deletions += deleted === '-' ? 0 : Number(deleted);
  }
  return { stats, gitlinks };
}

function nulSeparated(text: string): string[] {
  return text.split('\0').filter((part) => part !== '');
}
