import { commitMerge, trialMerge } from './merge-check.js';
import { git } from './runner.js';

/** A finished task's work: the commit its branch ends at. */
export interface Tip {
  task: string;
  commit: string;
}

/** Where a task that builds on others starts, or the pair of them whose work does not merge. */
export type Foundation =
  { commit: string; from: string[] } | { conflict: { tasks: [string, string]; files: string[] } };

/**
 * The commit a task starts from when it builds on `tips`: the one that holds all the others, or else their merge,
 * made without a worktree (`git merge-tree`, then `git commit-tree`). Undefined when there are none. A tip another
 * holds adds nothing, so a chain A → B → C starts C at B's commit, with no merge commit in its history.
 */
export async function foundationOf(repo: string, tips: readonly Tip[]): Promise<Foundation | undefined> {
  const distinct = [...new Map(tips.map((t) => [t.commit, t])).values()];
  if (distinct.length === 0) return undefined;
  // The tips none of the others hold, as git tells them.
  const independent = new Set(
    (await git(repo, ['merge-base', '--independent', ...distinct.map((t) => t.commit)])).split('\n'),
  );
  const needed = distinct.filter((t) => independent.has(t.commit));
  const from = tips.map((t) => t.task);
  let merged = needed[0]!.commit;
  for (const [i, tip] of needed.entries()) {
    if (i === 0) continue;
    const trial = await trialMerge(repo, merged, tip.commit);
    if (!trial.clean) return { conflict: await conflictOf(repo, needed.slice(0, i), tip, trial.files) };
    const names = needed.slice(0, i + 1).map((t) => t.task);
    merged = await commitMerge(
      repo,
      trial.tree,
      [merged, tip.commit],
      `Merge the work of ${names.join(', ')}`,
    );
  }
  return { commit: merged, from };
}

/** Which earlier tip `tip` conflicts with, and in which files: the first that does alone, else the first. */
async function conflictOf(
  repo: string,
  earlier: readonly Tip[],
  tip: Tip,
  files: string[],
): Promise<{ tasks: [string, string]; files: string[] }> {
  for (const other of earlier) {
    const trial = await trialMerge(repo, other.commit, tip.commit);
    if (!trial.clean) return { tasks: [other.task, tip.task], files: trial.files };
  }
  return { tasks: [earlier[0]!.task, tip.task], files };
}
