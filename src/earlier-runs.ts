import type { EarlierTip } from './agents/foundations.js';
import type { EarlierBranch } from './deliver/deliver.js';
import { messageOf } from './errors.js';
import type { Workspace } from './git/workspace.js';
import type { EarlierRow } from './report/comment.js';
import { pushedWork, type Outcome } from './report/outcome.js';
import { earlierWorkFor } from './tasks/rerun.js';
import type { TaskSet } from './tasks/task.js';

/** What a run of some of an issue's tasks takes from the runs before it on the issue. */
export interface EarlierRuns {
  /** The dependencies this run leaves out, as their pushed work: where their dependents start. */
  tips: EarlierTip[];
  /** Every task this run leaves out whose work is on `origin`: in the merge check, and under stacked pull requests. */
  branches: EarlierBranch[];
}

/**
 * The tasks of `all` that this run (`set`) leaves out, as the last run's `record` left them: the comment keeps their
 * rows, with their pull requests (`pullUrl` makes a number a link).
 */
export function earlierRows(
  all: TaskSet,
  set: TaskSet,
  record: Outcome | undefined,
  pullUrl: (n: number) => string,
): EarlierRow[] {
  if (!record) return [];
  return leftOut(all, set).flatMap((task) => {
    const earlier = record[task.id];
    if (!earlier) return [];
    const { status, pr } = earlier;
    return [{ id: task.id, title: task.title, status, ...pullRequestOf(pr, pullUrl) }];
  });
}

/** The tasks of `all` that this run (`set`) does not run. */
function leftOut(all: TaskSet, set: TaskSet): TaskSet['tasks'] {
  const running = new Set(set.tasks.map((t) => t.id));
  return all.tasks.filter((t) => !running.has(t.id));
}

/** The record's pull request number as a reference with its link; nothing when there is none. */
function pullRequestOf(pr: number | undefined, pullUrl: (n: number) => string) {
  return pr ? { pullRequest: { number: pr, url: pullUrl(pr) } } : {};
}

/**
 * The work of the tasks this run leaves out, fetched from `origin` as the last run's `record` names it. A branch that
 * is gone (merged and deleted, say) or cannot be fetched leaves its dependents to start from the base, and `warn`
 * says so.
 */
export async function readEarlierRuns(
  workspace: Pick<Workspace, 'earlierWork' | 'filesChangedBy'>,
  all: TaskSet,
  set: TaskSet,
  record: Outcome | undefined,
  pullUrl: (n: number) => string,
  warn: (message: string) => void,
): Promise<EarlierRuns> {
  const left = leftOut(all, set).flatMap((t) => {
    const branch = pushedWork(record, t.id);
    return branch ? [{ task: t.id, branch, pr: record?.[t.id]?.pr }] : [];
  });
  if (left.length === 0) return { tips: [], branches: [] };
  let tipOf = new Map<string, string>();
  try {
    tipOf = await workspace.earlierWork(left.map((l) => l.branch));
  } catch (error) {
    warn(`The branches of earlier runs could not be fetched from origin: ${messageOf(error)}`);
  }
  const found = earlierWorkFor(all, set, (id) => pushedWork(record, id)).filter((e) => {
    if (tipOf.has(e.branch)) return true;
    warn(`${e.task} builds on ${e.on}, whose branch ${e.branch} is not on origin: it starts from the base`);
    return false;
  });
  // Only what the dependencies changed is asked of git: what their dependents' agents are told they build on.
  const tips = await Promise.all(
    found.map(async ({ task, on, title, branch }) => {
      const commit = tipOf.get(branch)!;
      return { task, on, title, commit, filesChanged: await workspace.filesChangedBy(commit) };
    }),
  );
  const branches = left.flatMap(({ task, branch, pr }) => {
    const commit = tipOf.get(branch);
    if (!commit) return [];
    return [{ task, branch, commit, ...pullRequestOf(pr, pullUrl) }];
  });
  return { tips, branches };
}
