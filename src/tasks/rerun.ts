import type { Outcome } from '../report/outcome.js';
import type { TaskSet } from './task.js';

/**
 * `only: failed`: the tasks that did not succeed in the last run (or were not in it), as `outcome` records it. A
 * dependency on a task that succeeded then is taken as done. Without a record, every task runs, and a note says so.
 */
export function selectNotSucceeded(
  set: TaskSet,
  outcome: Outcome | undefined,
  where: string,
): { set: TaskSet; notes: string[] } {
  if (!outcome)
    return { set, notes: [`only: failed: no earlier run is recorded on ${where}, so every task runs`] };
  const done = new Set(set.tasks.filter((t) => outcome[t.id]?.status === 'succeeded').map((t) => t.id));
  if (done.size === 0) return { set, notes: [`only: failed: no task succeeded in the last run on ${where}`] };
  const tasks = set.tasks
    .filter((t) => !done.has(t.id))
    .map((t) =>
      t.dependsOn.some((d) => done.has(d)) ? { ...t, dependsOn: t.dependsOn.filter((d) => !done.has(d)) } : t,
    );
  const left = [...done].join(', ');
  return {
    set: { ...set, tasks },
    notes: [
      `only: failed: ${left} succeeded in the last run on ${where} and ${done.size === 1 ? 'is' : 'are'} left out`,
    ],
  };
}

/** A dependency this run leaves out whose work the last run pushed: the task of this run starts from that branch. */
export interface EarlierWork {
  /** The task of this run that builds on it. */
  task: string;
  /** The dependency, as the task list names it. */
  on: string;
  title: string;
  /** Its branch on `origin`, as the last run's record names it. */
  branch: string;
}

/**
 * For each task `selected` keeps, the dependencies `all` gives it that this run leaves out (a comment named other
 * tasks, or `only: failed` found them done) and that the last run pushed as succeeded. A dependency with no such
 * branch leaves its task to start from the base, as one that failed would.
 */
export function earlierWorkFor(
  all: TaskSet,
  selected: TaskSet,
  branchOf: (id: string) => string | undefined,
): EarlierWork[] {
  const running = new Set(selected.tasks.map((t) => t.id));
  const titles = new Map(all.tasks.map((t) => [t.id, t.title]));
  const given = new Map(all.tasks.map((t) => [t.id, t.dependsOn]));
  return selected.tasks.flatMap((task) =>
    (given.get(task.id) ?? [])
      .filter((on) => !running.has(on))
      .flatMap((on) => {
        const branch = branchOf(on);
        return branch ? [{ task: task.id, on, title: titles.get(on) ?? '', branch }] : [];
      }),
  );
}
