import { createHash } from 'node:crypto';
import { roundHours, taskHours, type OverlapPolicy, type Plan } from './plan.js';
import type { Usage } from '../result.js';
import { isRef } from './refs.js';
import { carriedPrediction, readCarriedPrediction, type CarriedPrediction } from './carried-prediction.js';

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

/** One entry of the `matrix` output: the shard, its tasks comma-separated, and its {@link ShardPlan} encoded. */
interface MatrixEntry {
  shard: string;
  tasks: string;
  plan: string;
}

/**
 * The `matrix` output: one job per shard, each carrying what the plan decided for it, and with `predicted` (the plan
 * is a predicted one) what the prediction filled in.
 */
export function matrixFor(
  plan: Plan,
  shards: readonly Shard[],
  maxShards: number,
  predicted = false,
  spent?: PredictionSpent,
): { include: MatrixEntry[] } {
  return {
    include: shards.map((s) => ({
      shard: s.shard,
      tasks: s.tasks.join(','),
      plan: encodeShardPlan(shardPlanOf(plan, shards, maxShards, s, predicted, spent)),
    })),
  };
}

/**
 * What a shard needs to know the plan it belongs to: the inputs that shape the plan (the tasks, by count and by a
 * digest of what of them the plan reads, `max-shards` and `overlap`), how many shards it made, and this shard's tasks.
 * `mode: plan` gives it to each matrix entry; a shard checks its own inputs against it, and its run record keeps it
 * for the report to check.
 */
export interface ShardPlan {
  tasks: number;
  digest: string;
  maxShards: number;
  overlap: OverlapPolicy;
  shards: number;
  shard: string;
  ids: string[];
  /**
   * With `plan: predict`: what the plan step's prediction filled in, for every task of the run (empty when it filled
   * in nothing). A shard rebuilds the whole plan with it, so it makes the same shards and the same digest.
   */
  predicted?: CarriedPrediction[];
  /** What the prediction used, so the fan-out's report counts its cost once (the shards do not). */
  predictionSpent?: PredictionSpent;
}

/** The model and the tokens a plan's prediction used. */
export interface PredictionSpent {
  model: string;
  usage: Usage;
}

/**
 * The plan of `shard`, one of `shards` that `shardPlan(plan, maxShards)` made; with `predicted`, carrying what the
 * prediction filled in of the plan's tasks.
 */
export function shardPlanOf(
  plan: Plan,
  shards: readonly Shard[],
  maxShards: number,
  shard: Shard,
  predicted = false,
  spent?: PredictionSpent,
): ShardPlan {
  return {
    tasks: plan.tasks.length,
    digest: planDigest(plan),
    maxShards,
    overlap: plan.overlap,
    shards: shards.length,
    shard: shard.shard,
    ids: shard.tasks,
    ...(predicted ? { predicted: carriedPrediction(plan.tasks) } : {}),
    ...(predicted && spent ? { predictionSpent: spent } : {}),
  };
}

/** What of the tasks shapes the shards, in order: ids, dependencies, paths and estimates; titles and prompts do not. */
function planDigest(plan: Plan): string {
  const shape = plan.tasks.map((t) => [t.id, t.dependsOn, t.paths, t.estimate ?? null]);
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

export function encodeShardPlan(plan: ShardPlan): string {
  return JSON.stringify(plan);
}

/** A {@link ShardPlan} from its encoding, or undefined when `text` is not one (say, copied from elsewhere). */
export function decodeShardPlan(text: string): ShardPlan | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const p = data as Partial<Record<keyof ShardPlan, unknown>> | null;
  const count = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 100_000;
  if (
    typeof p !== 'object' ||
    p === null ||
    !count(p.tasks) ||
    typeof p.digest !== 'string' ||
    !/^[0-9a-f]{16}$/.test(p.digest) ||
    !count(p.maxShards) ||
    (p.overlap !== 'stack' && p.overlap !== 'parallel') ||
    !count(p.shards) ||
    typeof p.shard !== 'string' ||
    !/^[1-9]\d{0,2}$/.test(p.shard) ||
    !Array.isArray(p.ids) ||
    !p.ids.every((id) => typeof id === 'string' && id.length <= 64 && isRef(id))
  ) {
    return undefined;
  }
  if (p.predictionSpent !== undefined && !isSpent(p.predictionSpent)) return undefined;
  if (p.predicted === undefined) return p as ShardPlan;
  const predicted = readCarriedPrediction(p.predicted);
  return predicted ? { ...(p as ShardPlan), predicted } : undefined;
}

function isSpent(value: unknown): value is PredictionSpent {
  const { model, usage } = (value ?? {}) as Partial<Record<keyof PredictionSpent, unknown>>;
  const tokens = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  const u = (usage ?? {}) as Partial<Record<keyof Usage, unknown>>;
  return (
    typeof model === 'string' &&
    /^[\w.:-]{1,100}$/.test(model) &&
    tokens(u.input) &&
    tokens(u.output) &&
    tokens(u.cacheWrite) &&
    tokens(u.cacheRead)
  );
}

/**
 * How `actual` (a plan made from some step's own inputs) differs from `planned`, one phrase pair per difference:
 * `{ planned: 'max-shards 4', actual: '8' }`. Empty when they agree.
 */
export function planDifferences(
  planned: ShardPlan,
  actual: ShardPlan,
): { planned: string; actual: string }[] {
  const differences: { planned: string; actual: string }[] = [];
  if (planned.tasks !== actual.tasks || planned.digest !== actual.digest) {
    const same = planned.tasks === actual.tasks;
    differences.push({
      planned: `${counted(planned.tasks, 'task')}${same ? ` (digest ${planned.digest})` : ''}`,
      actual: same
        ? `${counted(actual.tasks, 'task')} whose ids, order, dependencies, paths or estimates differ (digest ${actual.digest})`
        : counted(actual.tasks, 'task'),
    });
  }
  if (planned.maxShards !== actual.maxShards)
    differences.push({ planned: `max-shards ${planned.maxShards}`, actual: String(actual.maxShards) });
  if (planned.overlap !== actual.overlap)
    differences.push({ planned: `overlap ${planned.overlap}`, actual: actual.overlap });
  // The same inputs shard alike; past this point only another version of the action could differ.
  if (differences.length === 0 && planned.ids.join() !== actual.ids.join()) {
    differences.push({
      planned: `${planned.ids.join(', ') || 'no tasks'} in shard ${planned.shard} of ${planned.shards}`,
      actual: `${actual.ids.join(', ') || 'no tasks'} in shard ${actual.shard} of ${actual.shards}`,
    });
  }
  return differences;
}

function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
