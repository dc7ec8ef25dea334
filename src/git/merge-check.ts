import pLimit from 'p-limit';
import type { MergeCheck } from '../checks.js';
import { COMMIT_AUTHOR } from './commit.js';
import { leaseFor, pushBranch as pushTo } from './push.js';
import { git as runGit, GitError, type GitOptions } from './runner.js';

/** Trial merges at once: each is a short git process, and the runner has few cores. */
const MERGES_AT_ONCE = 4;

/** A branch to check: its tip, and whether it may join the merge order (`mergeable: false` says why not). */
interface MergeCandidate {
  task: string;
  branch: string;
  commit: string;
  /** Undefined when the branch may join the merge order; otherwise why it may not (e.g. its agent timed out). */
  notMergeable?: string;
}

export interface MergeCheckOptions {
  /** The repository holding every branch (the checkout the agents branched from). */
  repo: string;
  /** The commit the agents started from; the merge order is built on it. */
  base: string;
  /** In dependency order: a branch is merged after the ones it depends on. */
  candidates: MergeCandidate[];
  /** Where to keep the merge order as real commits (`refs/heads/<combined>`); none when undefined. */
  combined?: { branch: string; message: (task: string) => string };
}

/** A git command that failed in a way a trial merge does not explain (not a repository, an unknown commit). */
export class MergeCheckError extends Error {
  override name = 'MergeCheckError';
}

/**
 * Trial-merges every pair of branches with `git merge-tree --write-tree` (no worktree, no index, nothing checked
 * out), then merges the mergeable ones one on top of the other in the order given, leaving out each one that
 * conflicts with those before it. With `combined`, that order is written as commits (`commit-tree`) on a branch
 * (`update-ref`); otherwise the commits are left unreferenced, for git's gc.
 */
export async function checkMerges(options: MergeCheckOptions): Promise<MergeCheck> {
  const { repo, candidates } = options;
  const changes = await changesOf(repo, options.base, candidates);
  const conflicts = await pairConflicts(repo, candidates, changes);
  const { order, leftOut, tip } = await mergeInOrder(options, changes, conflicts);
  const check: MergeCheck = {
    branches: candidates.map(({ task, branch }) => ({ task, branch })),
    conflicts,
    order,
    leftOut,
  };
  if (options.combined && order.length > 0) {
    await git(repo, ['update-ref', `refs/heads/${options.combined.branch}`, tip]);
    check.combined = { branch: options.combined.branch, commit: tip };
  }
  return check;
}

/** Every pair of branches that conflict, by a trial merge of each pair whose changes meet. */
async function pairConflicts(
  repo: string,
  candidates: readonly MergeCandidate[],
  changes: readonly (Changes | undefined)[],
): Promise<MergeCheck['conflicts']> {
  const limit = pLimit(MERGES_AT_ONCE);
  const pairs: [number, number][] = [];
  for (let i = 0; i < candidates.length; i++)
    for (let j = i + 1; j < candidates.length; j++) pairs.push([i, j]);
  // Only pairs whose changes meet can conflict: with many branches, most pairs need no merge at all.
  const merged = await Promise.all(
    pairs.map(([i, j]) =>
      mayConflict(changes[i], changes[j])
        ? limit(() => trialMerge(repo, candidates[i]!.commit, candidates[j]!.commit))
        : undefined,
    ),
  );
  const conflicts: MergeCheck['conflicts'] = [];
  pairs.forEach(([i, j], k) => {
    const result = merged[k];
    if (result && !result.clean) {
      conflicts.push({ tasks: [candidates[i]!.task, candidates[j]!.task], files: result.files });
    }
  });
  return conflicts;
}

/**
 * The mergeable branches merged one on top of the other in the order given, each that conflicts with those before it
 * left out; `tip` is the last merge commit (or the one branch, or the base).
 */
async function mergeInOrder(
  options: MergeCheckOptions,
  changes: readonly (Changes | undefined)[],
  conflicts: MergeCheck['conflicts'],
): Promise<{ order: string[]; leftOut: MergeCheck['leftOut']; tip: string }> {
  const { repo, candidates } = options;
  const order: string[] = [];
  const leftOut: MergeCheck['leftOut'] = [];
  // The merge so far: `tip` holds the branches merged for real; `pending` those known to merge cleanly onto it,
  // merged for real only when a commit of the whole is needed (the combined branch, or a branch whose changes meet
  // theirs). `touched` is what every branch in the order changed.
  let tip = options.base;
  let pending: MergeCandidate[] = [];
  let touched: Changes | undefined = { paths: [], deletes: false, descends: true };
  const leave = (candidate: MergeCandidate, files: string[]) =>
    leftOut.push({ task: candidate.task, reason: conflictReason(candidate.task, order, conflicts, files) });
  const mergeOnto = async (candidate: MergeCandidate): Promise<TrialMerge> => {
    if (tip === options.base) {
      // The first branch is the merge so far: it started from the base.
      tip = candidate.commit;
      return { clean: true, tree: '' };
    }
    const result = await trialMerge(repo, tip, candidate.commit);
    if (result.clean) {
      tip = await commitMerge(
        repo,
        result.tree,
        [tip, candidate.commit],
        options.combined?.message(candidate.task) ?? `Merge ${candidate.branch}`,
      );
    }
    return result;
  };
  const settle = async () => {
    for (const candidate of pending) {
      const result = await mergeOnto(candidate);
      if (result.clean) continue;
      // Not expected (their changes did not meet), but git has the last word: it leaves the order after all.
      order.splice(order.indexOf(candidate.task), 1);
      leave(candidate, result.files);
    }
    pending = [];
  };
  for (const [i, candidate] of candidates.entries()) {
    if (candidate.notMergeable !== undefined) {
      leftOut.push({ task: candidate.task, reason: candidate.notMergeable });
      continue;
    }
    if (!options.combined && !mayConflict(touched, changes[i])) {
      pending.push(candidate);
    } else {
      await settle();
      const result = await mergeOnto(candidate);
      if (!result.clean) {
        leave(candidate, result.files);
        continue;
      }
    }
    touched = joined(touched, changes[i]);
    order.push(candidate.task);
  }
  // What is still pending stays unmerged: only `combined` needs a commit of the whole, and then nothing is pending.
  return { order, leftOut, tip };
}

/** What a branch changed from the base, as far as telling whether a merge can conflict goes. */
interface Changes {
  /** Every path it added, modified or deleted. */
  paths: string[];
  /** Whether it deletes a file: half of a rename, which git may follow into other paths. */
  deletes: boolean;
  /** Whether the branch descends from the base, so that the base is where it and the others meet. */
  descends: boolean;
}

/**
 * Each candidate's changes from `base`, in two git commands for all of them; undefined for a candidate whose changes
 * could not be read (it is then merged for real).
 */
async function changesOf(
  repo: string,
  base: string,
  candidates: readonly MergeCandidate[],
): Promise<(Changes | undefined)[]> {
  if (candidates.length < 2) return candidates.map(() => undefined);
  const [descendants, diffs] = await Promise.all([
    git(repo, ['for-each-ref', `--contains=${base}`, '--format=%(objectname)']),
    // One line a candidate, `<commit> <base>`: the diff from the base to the commit.
    git(repo, ['diff-tree', '--stdin', '-r', '--name-status', '--no-renames', '-z'], {
      input: candidates.map((c) => `${c.commit} ${base}\n`).join(''),
    }),
  ]);
  const byCommit = new Map<string, Changes>();
  const fromBase = new Set(descendants.split('\n'));
  let current: Changes | undefined;
  const fields = diffs.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    // A commit's id opens its records; each record is a status letter, then the path.
    if (/^[0-9a-f]{40,64}$/.test(field)) {
      current = { paths: [], deletes: false, descends: fromBase.has(field) };
      byCommit.set(field, current);
    } else if (current && /^[A-Z]$/.test(field) && i + 1 < fields.length) {
      current.paths.push(fields[++i]!);
      if (field === 'D') current.deletes = true;
    }
  }
  // A commit with no changes from the base prints nothing.
  return candidates.map(
    (c) =>
      byCommit.get(c.commit) ??
      (fromBase.has(c.commit) ? { paths: [], deletes: false, descends: true } : undefined),
  );
}

/**
 * Whether merging two sets of changes might conflict. They cannot when both come from the base, neither deletes a
 * file (so git finds no rename to follow), and no path of one is a path of the other or a directory above it.
 */
function mayConflict(a: Changes | undefined, b: Changes | undefined): boolean {
  if (!a || !b || !a.descends || !b.descends || a.deletes || b.deletes) return true;
  const [small, large] = a.paths.length <= b.paths.length ? [a, b] : [b, a];
  if (small.paths.length === 0) return false;
  const { paths, directories } = indexOf(large);
  const { above } = indexOf(small);
  return small.paths.some(
    (path, i) => paths.has(path) || directories.has(path) || above[i]!.some((d) => paths.has(d)),
  );
}

/** Each branch's paths as sets, made once: at 100 branches every one is met in 99 pairs. */
const indexes = new WeakMap<Changes, { paths: Set<string>; directories: Set<string>; above: string[][] }>();
function indexOf(changes: Changes) {
  let index = indexes.get(changes);
  if (!index) {
    const above = changes.paths.map(directoriesOf);
    index = { paths: new Set(changes.paths), directories: new Set(above.flat()), above };
    indexes.set(changes, index);
  }
  return index;
}

/** `a/b/c` → `a`, `a/b`. */
function directoriesOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

function joined(a: Changes | undefined, b: Changes | undefined): Changes | undefined {
  if (!a || !b) return undefined;
  return {
    paths: [...a.paths, ...b.paths],
    deletes: a.deletes || b.deletes,
    descends: a.descends && b.descends,
  };
}

/** `conflicts with BAC-1 in src/router.ts`: the branches already merged that it conflicts with, and where. */
function conflictReason(
  task: string,
  merged: readonly string[],
  pairs: MergeCheck['conflicts'],
  files: readonly string[],
): string {
  const with_ = merged.filter((other) =>
    pairs.some(({ tasks: [a, b] }) => (a === task && b === other) || (b === task && a === other)),
  );
  const where = files.length ? ` in ${listFiles(files)}` : '';
  return with_.length
    ? `conflicts with ${with_.join(', ')}${where}`
    : `conflicts with the merge of ${merged.join(', ')}${where}`;
}

function listFiles(files: readonly string[]): string {
  const shown = files.slice(0, 5).join(', ');
  return files.length > 5 ? `${shown} and ${files.length - 5} more` : shown;
}

type TrialMerge = { clean: true; tree: string } | { clean: false; files: string[] };

/** `git merge-tree --write-tree`: exit 0 is a clean merge, 1 a conflicted one; anything else is a failure. */
export async function trialMerge(repo: string, a: string, b: string): Promise<TrialMerge> {
  const args = ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', a, b];
  let out: string;
  try {
    out = await runGit(repo, args);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const [tree, ...files] = error.stdout.split('\0').filter(Boolean);
    // Exit 1 is also how merge-tree refuses a commit it cannot read; only a conflict comes with a tree.
    if (error.exitCode !== 1 || !/^[0-9a-f]{40,64}$/.test(tree ?? ''))
      throw new MergeCheckError(error.message);
    return { clean: false, files: [...new Set(files)] };
  }
  return { clean: true, tree: out.split('\0')[0]!.trim() };
}

/** The merge commit of `tree` over its two `parents`, made without a worktree; its id. */
export async function commitMerge(
  repo: string,
  tree: string,
  parents: readonly [string, string],
  message: string,
): Promise<string> {
  const author: [string, string][] = [
    ['user.name', COMMIT_AUTHOR.name],
    ['user.email', COMMIT_AUTHOR.email],
  ];
  // The message on standard input: no title is too long for a command line.
  const args = ['commit-tree', tree, '-p', parents[0], '-p', parents[1]];
  return git(repo, args, { input: message, config: author });
}

/**
 * Pushes `branch` from `repo` to `origin`, as the agents' branches are pushed (`Workspace.push`): replacing there only
 * what this run read at its start, the token in git's environment. Rejects with why when it was not pushed.
 */
export async function pushBranch(repo: string, branch: string, token?: string): Promise<void> {
  const url = await git(repo, ['remote', 'get-url', 'origin']);
  const lease = await leaseFor(repo, url, branch, token).catch(() => undefined);
  const outcome = await pushTo(repo, branch, { url, token, lease });
  if (!outcome.pushed) throw new MergeCheckError(outcome.reason);
}

/** The commit `rev` names in `repo`. */
export async function resolveCommit(repo: string, rev: string): Promise<string> {
  return git(repo, ['rev-parse', '--verify', `${rev}^{commit}`]);
}

/** Git in `repo` (see `runner.ts`: no hooks, no daemons, no tokens), its output trimmed. Rejects with a {@link MergeCheckError}. */
async function git(repo: string, args: string[], options: GitOptions = {}): Promise<string> {
  try {
    return (await runGit(repo, args, options)).trim();
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new MergeCheckError(error.message);
  }
}
