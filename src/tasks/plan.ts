import { InputError } from '../errors.js';
import { overlapCandidates, overlappingGlobs } from './globs.js';
import type { Task } from './task.js';

/** `task` may start only once `dependsOn` has succeeded. */
export interface Dependency {
  task: string;
  dependsOn: string;
}

/**
 * Two tasks whose `paths` overlap, so they never run at once; `a` comes before `b` in the task list. `globs` is the
 * first overlapping pair, one from each task, to say why.
 */
export interface Conflict {
  a: string;
  b: string;
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
  /**
   * Ids by level, each level in task order: level 0 holds the tasks without dependencies, and a task's level is one
   * more than its deepest dependency's, so every task of a level can start once the levels before it are done.
   */
  levels: string[][];
  /** Every id, dependencies first; where the dependencies leave a choice, the earlier task in the list goes first. */
  order: string[];
  /** The longest chain of dependent tasks by estimate, first task first; empty when there are no tasks. */
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

/**
 * Checks the tasks and works out their plan. Throws an {@link InputError} for a repeated id, an estimate that is not
 * a number of hours, a dependency on itself or on an id not in the list, or a dependency cycle, which it names.
 */
export function planTasks(tasks: Task[]): Plan {
  const indexOf = indexTasks(tasks);
  checkEstimates(tasks);
  const deps = dependencyIndexes(tasks, indexOf);
  checkCycles(tasks, deps);

  const dependencies = tasks.flatMap((task, i) =>
    (deps[i] ?? []).map((d) => ({ task: task.id, dependsOn: tasks[d]?.id ?? '' })),
  );
  const order = topologicalOrder(deps);
  const level = new Array<number>(tasks.length).fill(0);
  for (const i of order) level[i] = Math.max(-1, ...(deps[i] ?? []).map((d) => level[d] ?? 0)) + 1;
  const levels: string[][] = [];
  tasks.forEach((task, i) => (levels[level[i] ?? 0] ??= []).push(task.id));

  const defaultEstimateHours = medianOrOne(
    tasks.flatMap((t) => (t.estimate === undefined ? [] : [t.estimate])),
  );
  const hours = tasks.map((t) => t.estimate ?? defaultEstimateHours);
  const { path, total } = longestChain(order, deps, hours);

  return {
    tasks,
    dependencies,
    conflicts: findConflicts(tasks, ancestorSets(order, deps, tasks.length)),
    levels,
    order: order.map((i) => tasks[i]?.id ?? ''),
    criticalPath: path.map((i) => tasks[i]?.id ?? ''),
    criticalPathHours: total,
    defaultEstimateHours,
  };
}

function whereOf(task: Task | undefined): string {
  return task?.where ?? 'tasks';
}

function indexTasks(tasks: readonly Task[]): Map<string, number> {
  const indexOf = new Map<string, number>();
  tasks.forEach((task, i) => {
    if (indexOf.has(task.id)) {
      throw new InputError(
        `${task.id} is listed twice`,
        whereOf(task),
        'Keep one task per id, or give the second task its own id',
      );
    }
    indexOf.set(task.id, i);
  });
  return indexOf;
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

/** For each task, the indexes of the tasks it depends on, in the order it lists them, without repeats. */
function dependencyIndexes(tasks: readonly Task[], indexOf: ReadonlyMap<string, number>): number[][] {
  return tasks.map((task) => {
    const deps: number[] = [];
    for (const id of task.dependsOn) {
      if (id === task.id) {
        throw new InputError(
          `${task.id} depends on itself`,
          whereOf(task),
          `Remove ${task.id} from its own "depends on"`,
        );
      }
      const d = indexOf.get(id);
      if (d === undefined) {
        throw new InputError(
          `${task.id} depends on ${id}, which is not in the task list`,
          whereOf(task),
          `Add ${id} to the tasks or remove it from ${task.id}'s "depends on"`,
        );
      }
      if (!deps.includes(d)) deps.push(d);
    }
    return deps;
  });
}

/**
 * Throws on the first cycle a depth-first walk meets, walking tasks and their dependencies in the order given, so
 * the same input always names the same cycle. The cycle is told from its member listed first, each arrow reading
 * "depends on": `dependency cycle BAC-1 → BAC-2 → BAC-1`.
 */
function checkCycles(tasks: readonly Task[], deps: readonly number[][]): void {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const colour = new Uint8Array(tasks.length);
  for (let root = 0; root < tasks.length; root += 1) {
    if (colour[root] !== WHITE) continue;
    // Iterative, so a long chain of tasks cannot overflow the stack.
    const path: number[] = [root];
    const next: number[] = [0];
    colour[root] = GREY;
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top] ?? 0;
      const edges = deps[node] ?? [];
      const k = next[top] ?? 0;
      if (k >= edges.length) {
        colour[node] = BLACK;
        path.pop();
        next.pop();
        continue;
      }
      next[top] = k + 1;
      const dep = edges[k] ?? 0;
      if (colour[dep] === GREY) throw cycleError(tasks, path.slice(path.indexOf(dep)));
      if (colour[dep] === WHITE) {
        colour[dep] = GREY;
        path.push(dep);
        next.push(0);
      }
    }
  }
}

function cycleError(tasks: readonly Task[], cycle: number[]): InputError {
  const first = cycle.indexOf(Math.min(...cycle));
  const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
  const ids = [...rotated, rotated[0] ?? 0].map((i) => tasks[i]?.id ?? '');
  return new InputError(
    `dependency cycle ${ids.join(' → ')}`,
    whereOf(tasks[rotated[0] ?? 0]),
    'Remove one of these dependencies',
  );
}

/**
 * Kahn's algorithm taking the earliest-listed ready task each time: the result is the input order itself whenever
 * that already respects the dependencies, and otherwise moves as little as it must.
 */
function topologicalOrder(deps: readonly number[][]): number[] {
  const waiting = deps.map((d) => d.length);
  const dependents = dependentsOf(deps);
  const ready = new MinHeap();
  waiting.forEach((n, i) => {
    if (n === 0) ready.push(i);
  });
  const order: number[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    order.push(i);
    for (const j of dependents[i] ?? []) {
      const left = (waiting[j] ?? 0) - 1;
      waiting[j] = left;
      if (left === 0) ready.push(j);
    }
  }
  return order;
}

function dependentsOf(deps: readonly number[][]): number[][] {
  const dependents: number[][] = deps.map(() => []);
  deps.forEach((ds, i) => ds.forEach((d) => dependents[d]?.push(i)));
  return dependents;
}

/** Smallest number first; just enough of a heap for the ready queue. */
class MinHeap {
  private readonly items: number[] = [];

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] ?? 0) <= value) break;
      items[i] = items[parent] ?? 0;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      let value = last;
      if (left < items.length && (items[left] ?? 0) < value) {
        smallest = left;
        value = items[left] ?? 0;
      }
      if (right < items.length && (items[right] ?? 0) < value) smallest = right;
      if (smallest === i) break;
      items[i] = items[smallest] ?? 0;
      i = smallest;
    }
    items[i] = last;
    return top;
  }
}

/** Per task, a bit set of every task it depends on directly or through others. */
function ancestorSets(order: readonly number[], deps: readonly number[][], n: number): Uint32Array[] {
  const words = Math.ceil(n / 32);
  const sets = Array.from({ length: n }, () => new Uint32Array(words));
  for (const i of order) {
    const own = sets[i];
    if (!own) continue;
    for (const d of deps[i] ?? []) {
      const inherited = sets[d];
      if (!inherited) continue;
      for (let w = 0; w < words; w += 1) own[w] = (own[w] ?? 0) | (inherited[w] ?? 0);
      own[d >> 5] = (own[d >> 5] ?? 0) | (1 << (d & 31));
    }
  }
  return sets;
}

function has(set: Uint32Array | undefined, i: number): boolean {
  return (((set?.[i >> 5] ?? 0) >>> (i & 31)) & 1) === 1;
}

/**
 * Every pair of tasks, in task order, whose paths overlap and that no chain of dependencies orders. Tasks often
 * share whole lists of globs (`src/**`), so each distinct list is compared once with each other list that
 * {@link overlapCandidates} says might overlap it, rather than every task with every task.
 */
function findConflicts(tasks: readonly Task[], ancestors: readonly Uint32Array[]): Conflict[] {
  const listIndex = new Map<string, number>();
  const lists: string[][] = [];
  const tasksOf: number[][] = [];
  const listOf = tasks.map((t, i) => {
    const key = JSON.stringify(t.paths);
    let l = listIndex.get(key);
    if (l === undefined) {
      l = lists.length;
      listIndex.set(key, l);
      lists.push(t.paths);
      tasksOf.push([]);
    }
    tasksOf[l]?.push(i);
    return l;
  });
  const candidates = overlapCandidates(lists);
  const overlap = new Map<number, [string, string] | null>();
  const globsFor = (p: number, q: number) => {
    const key = p * lists.length + q;
    let globs = overlap.get(key);
    if (globs === undefined) {
      globs = overlappingGlobs(lists[p] ?? [], lists[q] ?? []) ?? null;
      overlap.set(key, globs);
    }
    return globs;
  };

  const conflicts: Conflict[] = [];
  tasks.forEach((a, i) => {
    const p = listOf[i] ?? 0;
    const later = (candidates[p] ?? []).flatMap((q) => (tasksOf[q] ?? []).filter((j) => j > i));
    for (const j of later.sort((x, y) => x - y)) {
      const b = tasks[j];
      if (!b || has(ancestors[i], j) || has(ancestors[j], i)) continue;
      const globs = globsFor(p, listOf[j] ?? 0);
      if (globs) conflicts.push({ a: a.id, b: b.id, globs });
    }
  });
  return conflicts;
}

function medianOrOne(values: number[]): number {
  if (values.length === 0) return 1;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const middle = sorted[mid] ?? 1;
  return sorted.length % 2 === 1 ? middle : ((sorted[mid - 1] ?? middle) + middle) / 2;
}

/** Hours summed in floating point, rounded so that 0.1 + 0.2 reads 0.3. */
function roundHours(hours: number): number {
  return Math.round(hours * 1e6) / 1e6;
}

/**
 * The chain of dependencies with the most hours, first task first. Among equal chains the one ending at, and then
 * passing through, the earlier-listed tasks wins, so the answer does not depend on anything but the input.
 */
function longestChain(
  order: readonly number[],
  deps: readonly number[][],
  hours: readonly number[],
): { path: number[]; total: number } {
  const finish = new Array<number>(hours.length).fill(0);
  const previous = new Array<number>(hours.length).fill(-1);
  for (const i of order) {
    let before = 0;
    for (const d of deps[i] ?? []) {
      const f = finish[d] ?? 0;
      const p = previous[i] ?? -1;
      if (p < 0 || f > before || (f === before && d < p)) {
        before = f;
        previous[i] = d;
      }
    }
    finish[i] = before + (hours[i] ?? 0);
  }
  let end = -1;
  finish.forEach((f, i) => {
    if (end < 0 || f > (finish[end] ?? 0)) end = i;
  });
  const path: number[] = [];
  for (let i = end; i >= 0; i = previous[i] ?? -1) path.push(i);
  return { path: path.reverse(), total: end < 0 ? 0 : roundHours(finish[end] ?? 0) };
}

/** One matrix job's share of the tasks: `shard` counts from "1", `tasks` keep the task list's order. */
export interface Shard {
  shard: string;
  tasks: string[];
  /** Hours of the shard's tasks, unknown estimates counted as the plan's default. */
  hours: number;
}

/** GitHub runs at most 256 jobs from one matrix. */
export const MAX_SHARDS = 256;

/**
 * Splits the plan over at most `maxShards` matrix jobs. Tasks tied by a dependency, or by a conflict (two runners
 * would both edit the same files and their branches would collide), form one group and go to one shard. Groups are
 * placed largest first, each into the shard with the fewest hours so far; there are never more shards than groups,
 * so no shard is empty. Shards are numbered in the order of their first task, and each lists its tasks in the
 * task list's order.
 */
export function shardPlan(plan: Plan, maxShards: number): Shard[] {
  if (!Number.isInteger(maxShards) || maxShards < 1 || maxShards > MAX_SHARDS) {
    throw new RangeError(`maxShards must be an integer from 1 to ${MAX_SHARDS}, got ${maxShards}`);
  }
  const { tasks } = plan;
  const indexOf = new Map(tasks.map((t, i) => [t.id, i]));
  const parent = tasks.map((_, i) => i);
  const find = (i: number): number => {
    let root = i;
    while ((parent[root] ?? root) !== root) root = parent[root] ?? root;
    while (i !== root) {
      const up = parent[i] ?? root;
      parent[i] = root;
      i = up;
    }
    return root;
  };
  const join = (a: string, b: string) => {
    const x = find(indexOf.get(a) ?? 0);
    const y = find(indexOf.get(b) ?? 0);
    // The smaller index is the root, so a group's root is its earliest task.
    if (x !== y) parent[Math.max(x, y)] = Math.min(x, y);
  };
  for (const d of plan.dependencies) join(d.task, d.dependsOn);
  for (const c of plan.conflicts) join(c.a, c.b);

  const groups = new Map<number, { members: number[]; hours: number }>();
  tasks.forEach((task, i) => {
    const root = find(i);
    const group = groups.get(root) ?? { members: [], hours: 0 };
    group.members.push(i);
    group.hours += taskHours(plan, task);
    groups.set(root, group);
  });
  const bySize = [...groups].sort(([ra, a], [rb, b]) => b.hours - a.hours || ra - rb);

  const bins = Array.from({ length: Math.min(maxShards, groups.size) }, () => ({
    members: [] as number[],
    hours: 0,
  }));
  for (const [, group] of bySize) {
    let lightest = bins[0];
    for (const bin of bins) if (lightest && bin.hours < lightest.hours) lightest = bin;
    if (!lightest) break;
    lightest.members.push(...group.members);
    lightest.hours += group.hours;
  }
  for (const bin of bins) bin.members.sort((x, y) => x - y);
  bins.sort((x, y) => (x.members[0] ?? 0) - (y.members[0] ?? 0));
  return bins.map((bin, k) => ({
    shard: String(k + 1),
    tasks: bin.members.map((i) => tasks[i]?.id ?? ''),
    hours: roundHours(bin.hours),
  }));
}

/** The `matrix` output: one job per shard, its tasks comma-separated. */
export function matrixFor(shards: readonly Shard[]): { include: { shard: string; tasks: string }[] } {
  return { include: shards.map((s) => ({ shard: s.shard, tasks: s.tasks.join(',') })) };
}

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
export interface Skip {
  id: string;
  reason: string;
}

export interface NextSteps {
  /**
   * Tasks that may start now: every dependency succeeded and no conflicting task is running. No two of them
   * conflict with each other. The longest remaining chain of hours comes first, then the task list's order: what
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
 * A task handed to `p-limit` counts as running while it waits for a slot, so a conflicting task never jumps in
 * between; it would have to wait for it anyway. As the dependencies form no cycle, a call with nothing running
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
    if (reason) {
      newlySkipped.add(id);
      skip.push({ id, reason });
    } else if (!waiting) {
      candidates.push(i);
    }
  }

  candidates.sort((x, y) => (index.rank[x] ?? 0) - (index.rank[y] ?? 0));
  // Tasks that hold their paths: those running and those chosen to start now.
  const holding = new Set<number>();
  for (const id of progress.running) {
    const i = index.indexOf.get(id);
    if (i !== undefined) holding.add(i);
  }
  const start: string[] = [];
  for (const i of candidates) {
    const conflicts = index.conflicts[i];
    if (conflicts && conflicts.size > 0) {
      // Whichever side is smaller is walked: a task may conflict with thousands, while few tasks run at once.
      const [few, many] = holding.size < conflicts.size ? [holding, conflicts] : [conflicts, holding];
      let blocked = false;
      for (const j of few) if ((blocked = many.has(j))) break;
      if (blocked) continue;
    }
    holding.add(i);
    start.push(plan.tasks[i]?.id ?? '');
  }

  const settled = plan.tasks.filter((t) => ended(t.id) || newlySkipped.has(t.id)).length;
  return { start, skip, done: progress.running.size === 0 && settled === plan.tasks.length };
}

interface SchedulingIndex {
  indexOf: Map<string, number>;
  order: number[];
  deps: number[][];
  conflicts: Set<number>[];
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
  const conflicts = plan.tasks.map(() => new Set<number>());
  for (const c of plan.conflicts) {
    conflicts[at(c.a)]?.add(at(c.b));
    conflicts[at(c.b)]?.add(at(c.a));
  }
  const order = plan.order.map(at);
  // Hours from a task's start to the end of the longest chain of tasks waiting on it.
  const dependents = dependentsOf(deps);
  const tail = new Array<number>(plan.tasks.length).fill(0);
  for (const i of [...order].reverse()) {
    const after = Math.max(0, ...(dependents[i] ?? []).map((j) => tail[j] ?? 0));
    const task = plan.tasks[i];
    tail[i] = after + (task ? taskHours(plan, task) : 0);
  }
  const byTail = plan.tasks.map((_, i) => i).sort((x, y) => (tail[y] ?? 0) - (tail[x] ?? 0) || x - y);
  const rank = new Array<number>(plan.tasks.length).fill(0);
  byTail.forEach((i, k) => (rank[i] = k));
  const index = { indexOf, order, deps, conflicts, rank };
  indexes.set(plan, index);
  return index;
}
