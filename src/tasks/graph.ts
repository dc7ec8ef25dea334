import { InputError } from '../errors.js';
import type { Task } from './task.js';

// The dependency graph of a task list, by index into it: `deps[i]` holds the indexes of the tasks task `i` depends
// on. These functions check it and walk it; none of them knows about paths, and hours only as they are given.

/** Where a task was defined, for messages. */
export function whereOf(task: Task | undefined): string {
  return task?.where ?? 'tasks';
}

/** Each id's index in the list. Throws an {@link InputError} for an id listed twice. */
export function indexTasks(tasks: readonly Task[]): Map<string, number> {
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

/**
 * For each task, the indexes of the tasks it depends on, in the order it lists them, without repeats. Throws an
 * {@link InputError} for a dependency on itself or on an id not in the list.
 */
export function dependencyIndexes(tasks: readonly Task[], indexOf: ReadonlyMap<string, number>): number[][] {
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
export function checkCycles(tasks: readonly Task[], deps: readonly number[][]): void {
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
export function topologicalOrder(deps: readonly number[][]): number[] {
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

/** For each task, the indexes of the tasks that depend on it directly. */
export function dependentsOf(deps: readonly number[][]): number[][] {
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

/** Each task's level: 0 without dependencies, otherwise one more than its deepest dependency's. */
export function levelsOf(order: readonly number[], deps: readonly number[][]): number[] {
  const level = new Array<number>(deps.length).fill(0);
  for (const i of order) level[i] = Math.max(-1, ...(deps[i] ?? []).map((d) => level[d] ?? 0)) + 1;
  return level;
}

/** Per task, a bit set of every task it depends on directly or through others. */
export function ancestorSets(order: readonly number[], deps: readonly number[][], n: number): Uint32Array[] {
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

/** Whether task `i` is in `set`, one of {@link ancestorSets}. */
export function inSet(set: Uint32Array | undefined, i: number): boolean {
  return (((set?.[i >> 5] ?? 0) >>> (i & 31)) & 1) === 1;
}

/**
 * The chain of dependencies with the most hours, first task first, and its hours, unrounded. Among equal chains the
 * one ending at, and then passing through, the earlier-listed tasks wins, so the answer does not depend on anything
 * but the input.
 */
export function longestChain(
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
  return { path: path.reverse(), total: end < 0 ? 0 : (finish[end] ?? 0) };
}
