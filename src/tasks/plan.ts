import { InputError } from '../errors.js';
import { findConflicts, type Conflict } from './conflicts.js';
import {
  ancestorSets,
  checkCycles,
  dependencyIndexes,
  indexTasks,
  inSet,
  levelsOf,
  longestChain,
  topologicalOrder,
  whereOf,
} from './graph.js';
import type { Task } from './task.js';

/** `task` builds on `dependsOn`: it starts from its work, and only once it has succeeded. */
interface Dependency {
  task: string;
  dependsOn: string;
}

/**
 * What to do with two tasks whose `paths` overlap: `stack` starts the later one from the earlier one's result, so
 * their branches merge; `parallel` runs them at once and leaves it to the merge check.
 */
export type OverlapPolicy = 'stack' | 'parallel';

/**
 * `task` starts from `on`'s result because their `paths` overlap (`globs`, one of each). Unlike a dependency it waits
 * for `on` to end however it ends, and starts from the base when `on` did not succeed.
 */
interface Stack {
  task: string;
  on: string;
  globs: [string, string];
}

/** What the tasks amount to before anything runs: their order, what waits for what, and how long it may take. */
export interface Plan {
  /** The tasks, in the order they were given. */
  tasks: Task[];
  /** Every dependency, in task order and then in the order each task lists them; duplicates dropped. */
  dependencies: Dependency[];
  /**
   * Pairs of tasks that may not run at once because their `paths` overlap. A pair already ordered by a chain of
   * dependencies is left out: it can never run at once anyway, and a conflict there would only be noise.
   */
  conflicts: Conflict[];
  /** How overlaps are handled, and with `stack`, one stack per conflict, ordered by {@link order}. */
  overlap: OverlapPolicy;
  stacks: Stack[];
  /**
   * Ids by level, each level in task order: level 0 holds the tasks that wait for none, and a task's level is one
   * more than the deepest task it waits for (a dependency, or a stack), so every task of a level can start once the levels before it are done.
   */
  levels: string[][];
  /** Every id, dependencies first; where the dependencies leave a choice, the earlier task in the list goes first. */
  order: string[];
  /** The longest chain of tasks that wait for each other (dependencies and stacks) by estimate, first task first; empty when there are no tasks. */
  criticalPath: string[];
  /** Hours along {@link criticalPath}. */
  criticalPathHours: number;
  /**
   * Hours assumed for a task without an estimate: the median of the estimates given, or 1 when none is. The median
   * keeps one huge or tiny estimate from setting the rest, and 1 h is as good a unit as any when nothing is known,
   * so the critical path is then simply the longest chain.
   */
  defaultEstimateHours: number;
}

/** The hours a task counts for in the plan: its estimate, or the plan's default when it has none. */
export function taskHours(plan: Pick<Plan, 'defaultEstimateHours'>, task: Task): number {
  return task.estimate ?? plan.defaultEstimateHours;
}

/** Hours summed in floating point, rounded so that 0.1 + 0.2 reads 0.3. */
export function roundHours(hours: number): number {
  return Math.round(hours * 1e6) / 1e6;
}

/**
 * Checks the tasks and works out their plan. Throws an {@link InputError} for a repeated id, an estimate that is not
 * a number of hours, a dependency on itself or on an id not in the list, or a dependency cycle, which it names.
 */
export function planTasks(tasks: Task[], { overlap = 'stack' }: { overlap?: OverlapPolicy } = {}): Plan {
  const indexOf = indexTasks(tasks);
  checkEstimates(tasks);
  const deps = dependencyIndexes(tasks, indexOf);
  checkCycles(tasks, deps);

  const dependencies = tasks.flatMap((task, i) =>
    (deps[i] ?? []).map((d) => ({ task: task.id, dependsOn: tasks[d]?.id ?? '' })),
  );
  const order = topologicalOrder(deps);
  const conflicts = findConflicts(tasks, ancestorSets(order, deps, tasks.length));
  const stacks = overlap === 'stack' ? stacksOf(conflicts, order, tasks, deps, indexOf) : [];
  // A stack points forward in `order`, so the order stays valid with them, and they can never close a cycle.
  const waits = deps.map((d) => [...d]);
  for (const s of stacks) waits[indexOf.get(s.task) ?? 0]?.push(indexOf.get(s.on) ?? 0);
  const level = levelsOf(order, waits);
  const levels: string[][] = [];
  tasks.forEach((task, i) => (levels[level[i] ?? 0] ??= []).push(task.id));

  const defaultEstimateHours = medianOrOne(
    tasks.flatMap((t) => (t.estimate === undefined ? [] : [t.estimate])),
  );
  const hours = tasks.map((t) => t.estimate ?? defaultEstimateHours);
  const { path, total } = longestChain(order, waits, hours);

  return {
    tasks,
    dependencies,
    conflicts,
    overlap,
    stacks,
    levels,
    order: order.map((i) => tasks[i]?.id ?? ''),
    criticalPath: path.map((i) => tasks[i]?.id ?? ''),
    criticalPathHours: roundHours(total),
    defaultEstimateHours,
  };
}

/**
 * The stacks the conflicts call for: the task earlier in `order` (the list's, unless dependencies say otherwise) goes
 * first. A task stacks only on overlapping tasks it would not already wait for through others, nearest first: of three
 * tasks that all overlap, the third stacks on the second, which stacks on the first, and so still starts from both
 * pieces of work. Without this, tasks that all name one file would wait on every pair of them.
 */
function stacksOf(
  conflicts: readonly Conflict[],
  order: readonly number[],
  tasks: readonly Task[],
  deps: readonly number[][],
  indexOf: ReadonlyMap<string, number>,
): Stack[] {
  const position = new Array<number>(tasks.length).fill(0);
  order.forEach((i, k) => (position[i] = k));
  const at = (id: string) => indexOf.get(id) ?? 0;
  // Per task, the conflicts whose other task goes before it (by index into `conflicts`), and that other task.
  const under: number[][] = tasks.map(() => []);
  const onOf = new Int32Array(conflicts.length);
  for (let k = 0; k < conflicts.length; k += 1) {
    const c = conflicts[k]!;
    const a = at(c.a);
    const b = at(c.b);
    const aFirst = position[a]! < position[b]!;
    onOf[k] = aFirst ? a : b;
    under[aFirst ? b : a]!.push(k);
  }
  const words = Math.ceil(tasks.length / 32);
  const waited = tasks.map(() => new Uint32Array(words));
  const inherit = (own: Uint32Array, from: number) => {
    const theirs = waited[from]!;
    for (let w = 0; w < words; w += 1) own[w]! |= theirs[w]!;
    own[from >> 5]! |= 1 << (from & 31);
  };
  const stacks: Stack[] = [];
  const conflictWith = new Int32Array(tasks.length);
  for (const j of order) {
    const own = waited[j]!;
    for (const d of deps[j] ?? []) inherit(own, d);
    // Nearest first: walk back from j's place in the order, over the tasks it overlaps.
    for (const k of under[j]!) conflictWith[onOf[k]!] = k + 1;
    for (let p = position[j]! - 1; p >= 0 && under[j]!.length > 0; p -= 1) {
      const on = order[p]!;
      const k = conflictWith[on]! - 1;
      if (k < 0) continue;
      conflictWith[on] = 0;
      if (inSet(own, on)) continue;
      inherit(own, on);
      const c = conflicts[k]!;
      const [x, y] = c.globs;
      stacks.push(
        at(c.b) === j ? { task: c.b, on: c.a, globs: [y, x] } : { task: c.a, on: c.b, globs: [x, y] },
      );
    }
  }
  const rank = (id: string) => position[at(id)]!;
  return stacks.sort((s, t) => rank(s.task) - rank(t.task) || rank(s.on) - rank(t.on));
}

function checkEstimates(tasks: readonly Task[]): void {
  for (const task of tasks) {
    if (task.estimate === undefined || (Number.isFinite(task.estimate) && task.estimate >= 0)) continue;
    throw new InputError(
      `${task.id} has an estimate of ${task.estimate} hours`,
      whereOf(task),
      'Give the estimate as hours or minutes, such as `estimate: 2h` or `estimate: 30m`, or leave it out',
    );
  }
}

function medianOrOne(values: number[]): number {
  if (values.length === 0) return 1;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const middle = sorted[mid] ?? 1;
  return sorted.length % 2 === 1 ? middle : ((sorted[mid - 1] ?? middle) + middle) / 2;
}
