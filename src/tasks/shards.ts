import { roundHours, taskHours, type Plan } from './plan.js';

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
