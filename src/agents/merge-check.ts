import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { COMMIT_AUTHOR, pushArgs } from './workspace.js';

const execFileAsync = promisify(execFile);

/** Trial merges at once: each is a short git process, and the runner has few cores. */
const MERGES_AT_ONCE = 4;

/** What the trial merges of the agents' branches found. */
export interface MergeCheck {
  /** Every changed branch that was trial-merged, in the order given (dependencies first). */
  branches: { task: string; branch: string }[];
  /** Pairs of branches that do not merge cleanly, with the files in conflict; a pair not listed merges cleanly. */
  conflicts: { tasks: [string, string]; files: string[] }[];
  /** Tasks whose branches merge cleanly one on top of the other in this order, dependencies first. */
  order: string[];
  /** Branches left out of {@link order}, each with why. */
  leftOut: { task: string; reason: string }[];
  /** The branch that holds {@link order} merged (`pull-requests: combined`), and its tip. */
  combined?: { branch: string; commit: string };
}

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
  const limit = pLimit(MERGES_AT_ONCE);
  const pairs: [MergeCandidate, MergeCandidate][] = [];
  for (const [i, a] of candidates.entries()) for (const b of candidates.slice(i + 1)) pairs.push([a, b]);
  const merged = await Promise.all(pairs.map(([a, b]) => limit(() => trialMerge(repo, a.commit, b.commit))));
  const conflicts: MergeCheck['conflicts'] = [];
  pairs.forEach(([a, b], i) => {
    const result = merged[i]!;
    if (!result.clean) conflicts.push({ tasks: [a.task, b.task], files: result.files });
  });

  const order: string[] = [];
  const leftOut: MergeCheck['leftOut'] = [];
  let tip = options.base;
  for (const candidate of candidates) {
    if (candidate.notMergeable !== undefined) {
      leftOut.push({ task: candidate.task, reason: candidate.notMergeable });
      continue;
    }
    if (tip === options.base) {
      // The first branch is the merge so far: it started from the base.
      tip = candidate.commit;
      order.push(candidate.task);
      continue;
    }
    const result = await trialMerge(repo, tip, candidate.commit);
    if (!result.clean) {
      leftOut.push({
        task: candidate.task,
        reason: conflictReason(candidate.task, order, conflicts, result.files),
      });
      continue;
    }
    tip = await commitMerge(
      repo,
      result.tree,
      [tip, candidate.commit],
      options.combined?.message(candidate.task) ?? `Merge ${candidate.branch}`,
    );
    order.push(candidate.task);
  }

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
    out = await git(repo, args, false);
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string };
    const [tree, ...files] = (failure.stdout ?? '').split('\0').filter(Boolean);
    // Exit 1 is also how merge-tree refuses a commit it cannot read; only a conflict comes with a tree.
    if (failure.code !== 1 || !/^[0-9a-f]{40,64}$/.test(tree ?? '')) {
      const why = (failure.stderr ?? '').trim().split('\n')[0] || String(error);
      throw new MergeCheckError(`git merge-tree failed: ${why}`);
    }
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
  const author = ['-c', `user.name=${COMMIT_AUTHOR.name}`, '-c', `user.email=${COMMIT_AUTHOR.email}`];
  return git(repo, [...author, 'commit-tree', tree, '-p', parents[0], '-p', parents[1], '-m', message]);
}

/**
 * Pushes `branch` from `repo` to `origin`, replacing what is there. The token goes in a one-off header for that
 * remote only, as the agents' branches are pushed (`Workspace.push`): never into a URL or the config.
 */
export async function pushBranch(repo: string, branch: string, token?: string): Promise<void> {
  const url = await git(repo, ['remote', 'get-url', 'origin']);
  await git(repo, pushArgs(url, branch, token));
}

/** The commit `rev` names in `repo`. */
export async function resolveCommit(repo: string, rev: string): Promise<string> {
  return git(repo, ['rev-parse', '--verify', `${rev}^{commit}`]);
}

/**
 * Runs git in `repo` with none of the repository's hooks or daemons and none of the parent's tokens. Rejects with
 * the child's error (`code`, `stdout`, `stderr`) when `wrap` is false; otherwise with a {@link MergeCheckError}.
 */
export async function git(repo: string, args: string[], wrap = true): Promise<string> {
  const env: NodeJS.ProcessEnv = { GIT_TERMINAL_PROMPT: '0' };
  for (const name of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  try {
    const { stdout } = await execFileAsync(
      'git',
      ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args],
      { cwd: repo, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout.trim();
  } catch (error) {
    if (!wrap) throw error;
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    const line = stderr.split('\n').find((l) => l.trim()) ?? String(error);
    const command = args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c') ?? '';
    throw new MergeCheckError(`git ${command} failed: ${line.trim()}`);
  }
}
