import { dependentsOf } from '../tasks/graph.js';
import { taskHours, type Plan } from '../tasks/plan.js';

/** Where a run stands, as the scheduler keeps it. Each id is in at most one set; ids in none have not started. */
export interface Progress {
  /** Ended with success. */
  succeeded: ReadonlySet<string>;
  /** Ended without success, whatever the reason: failed, timed out, turn limit, budget, cancelled. */
  failed: ReadonlySet<string>;
  /** Never started because a dependency did not succeed (as {@link readyTasks} said). */
  skipped: ReadonlySet<string>;
  /** Started and not yet ended, including those handed to `p-limit` that wait for a slot. */
  running: ReadonlySet<string>;
}

/** A task that will never start, and why, e.g. `skipped: BAC-1 failed`. */
interface Skip {
  id: string;
  reason: string;
}

export interface NextSteps {
  /**
   * Tasks that may start now: every dependency succeeded and every task it stacks on has ended. The longest remaining chain of hours comes first, then the task list's order: what
   * starts first when slots are short should be what holds the run up longest.
   */
  start: string[];
  /** Tasks that will never start because a dependency failed or was skipped; dependents of these are included. */
  skip: Skip[];
  /** Whether the run is over once these skips are recorded: nothing is running and nothing is left to start. */
  done: boolean;
}

/**
 * What the scheduler should do next, given where the run stands. Call it at the start and again whenever a task
 * ends; between calls, record the result as below, or the same tasks come back:
 *
 * ```ts
 * const progress = {
 *   succeeded: new Set<string>(), failed: new Set<string>(), skipped: new Set<string>(), running: new Set<string>(),
 * };
 * const limit = pLimit(maxConcurrency);
 * const step = () => {
 *   const next = readyTasks(plan, progress);
 *   for (const { id, reason } of next.skip) { progress.skipped.add(id); recordSkipped(id, reason); }
 *   for (const id of next.start) {
 *     progress.running.add(id); // before the slot is free: a queued task already holds off its conflicts
 *     void limit(() => runOne(id)).then((ok) => {
 *       progress.running.delete(id);
 *       (ok ? progress.succeeded : progress.failed).add(id);
 *       step();
 *     });
 *   }
 *   if (next.done) finish();
 * };
 * step();
 * ```
 *
 * A task handed to `p-limit` counts as running while it waits for a slot. As dependencies and stacks form no cycle, a call with nothing running
 * always starts or skips something until `done`. Once the run is cancelled or out of budget, stop asking: the tasks
 * not yet started end as the stop says, not as skipped.
 */
export function readyTasks(plan: Plan, progress: Progress): NextSteps {
  const index = schedulingIndex(plan);
  const ended = (id: string) =>
    progress.succeeded.has(id) || progress.failed.has(id) || progress.skipped.has(id);
  const newlySkipped = new Set<string>();
  const skip: Skip[] = [];
  const candidates: number[] = [];
  for (const i of index.order) {
    const id = plan.tasks[i]?.id ?? '';
    if (ended(id) || progress.running.has(id)) continue;
    let reason: string | undefined;
    let waiting = false;
    for (const d of index.deps[i] ?? []) {
      const dep = plan.tasks[d]?.id ?? '';
      if (progress.failed.has(dep)) reason = `skipped: ${dep} failed`;
      else if (progress.skipped.has(dep) || newlySkipped.has(dep)) reason = `skipped: ${dep} was skipped`;
      else if (!progress.succeeded.has(dep)) waiting = true;
      if (reason) break;
    }
    // A stack waits for the task under it to end, whatever the end: its result, if any, is where it starts.
    for (const s of index.stacks[i] ?? []) {
      const under = plan.tasks[s]?.id ?? '';
      if (!ended(under) && !newlySkipped.has(under)) waiting = true;
    }
    if (reason) {
      newlySkipped.add(id);
      skip.push({ id, reason });
    } else if (!waiting) {
      candidates.push(i);
    }
  }

  candidates.sort((x, y) => (index.rank[x] ?? 0) - (index.rank[y] ?? 0));
  const start = candidates.map((i) => plan.tasks[i]?.id ?? '');

  const settled = plan.tasks.filter((t) => ended(t.id) || newlySkipped.has(t.id)).length;
  return { start, skip, done: progress.running.size === 0 && settled === plan.tasks.length };
}

interface SchedulingIndex {
  indexOf: Map<string, number>;
  order: number[];
  deps: number[][];
  /** Per task, the tasks it stacks on. */
  stacks: number[][];
  /** Position when sorted by remaining chain of hours, longest first. */
  rank: number[];
}

// Built once per plan: the scheduler calls readyTasks after every task, with the same plan each time.
const indexes = new WeakMap<Plan, SchedulingIndex>();

function schedulingIndex(plan: Plan): SchedulingIndex {
  const known = indexes.get(plan);
  if (known) return known;
  const indexOf = new Map(plan.tasks.map((t, i) => [t.id, i]));
  const at = (id: string) => indexOf.get(id) ?? -1;
  const deps: number[][] = plan.tasks.map(() => []);
  for (const d of plan.dependencies) deps[at(d.task)]?.push(at(d.dependsOn));
  const stacks: number[][] = plan.tasks.map(() => []);
  for (const s of plan.stacks) stacks[at(s.task)]?.push(at(s.on));
  const order = plan.order.map(at);
  // Hours from a task's start to the end of the longest chain of tasks waiting on it.
  const dependents = dependentsOf(deps.map((d, i) => [...d, ...(stacks[i] ?? [])]));
  const tail = new Array<number>(plan.tasks.length).fill(0);
  for (const i of [...order].reverse()) {
    const after = Math.max(0, ...(dependents[i] ?? []).map((j) => tail[j] ?? 0));
    const task = plan.tasks[i];
    tail[i] = after + (task ? taskHours(plan, task) : 0);
  }
  const byTail = plan.tasks.map((_, i) => i).sort((x, y) => (tail[y] ?? 0) - (tail[x] ?? 0) || x - y);
  const rank = new Array<number>(plan.tasks.length).fill(0);
  byTail.forEach((i, k) => (rank[i] = k));
  const index = { indexOf, order, deps, stacks, rank };
  indexes.set(plan, index);
  return index;
}
