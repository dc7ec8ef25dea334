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
  const done = new Set(set.tasks.filter((t) => outcome[t.id] === 'succeeded').map((t) => t.id));
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
