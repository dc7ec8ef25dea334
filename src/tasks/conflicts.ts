import { inSet } from './graph.js';
import { overlapCandidates, overlappingGlobs } from './globs.js';
import type { Task } from './task.js';

/**
 * Two tasks whose `paths` overlap, so they never run at once; `a` comes before `b` in the task list. `globs` is the
 * first overlapping pair, one from each task, to say why.
 */
export interface Conflict {
  a: string;
  b: string;
  globs: [string, string];
}

/**
 * Every pair of tasks, in task order, whose paths overlap and that no chain of dependencies orders (`ancestors` are
 * `ancestorSets` from the graph). Tasks often share whole lists of globs (`src/**`), so each distinct list is
 * compared once with each other list that {@link overlapCandidates} says might overlap it, rather than every task
 * with every task.
 */
export function findConflicts(tasks: readonly Task[], ancestors: readonly Uint32Array[]): Conflict[] {
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
      if (!b || inSet(ancestors[i], j) || inSet(ancestors[j], i)) continue;
      const globs = globsFor(p, listOf[j] ?? 0);
      if (globs) conflicts.push({ a: a.id, b: b.id, globs });
    }
  });
  return conflicts;
}
