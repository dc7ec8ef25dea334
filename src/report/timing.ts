import type { AgentResult } from '../result.js';

/**
 * Which lower bound set `idealSeconds`: the longest chain of dependent tasks, the longest single agent, or the total
 * work spread over every concurrency slot.
 */
export type IdealBound = 'critical-path' | 'longest-agent' | 'concurrency';

/**
 * A run's timing, in the words of the design: every figure is in seconds and unrounded; rendering rounds.
 */
export interface Timing {
  /** Agents that started; only they count toward `wallSeconds`. */
  agents: number;
  /** Sum of every agent's own time: what running them one after another would take. */
  sequentialSeconds: number;
  /** First start to last end. 0 when no agent started. */
  wallSeconds: number;
  /** `sequentialSeconds / wallSeconds`; null when the wall time is 0 (nothing ran, or nothing took any time). */
  speedup: number | null;
  /** The lower bound on wall time under the concurrency limit. */
  idealSeconds: number;
  /** Which bound gave `idealSeconds`. */
  idealBound: IdealBound;
  /** `idealSeconds / wallSeconds`: 1 means no schedule could have finished sooner. Null when the wall time is 0. */
  efficiency: number | null;
  /** The longest agent time. */
  longestSeconds: number;
  /** Agents allowed at once. */
  concurrency: number;
  /** Epoch milliseconds of the first start and the last end; null when no agent started. */
  startedAt: number | null;
  endedAt: number | null;
  /**
   * The run against the model's own time; null when an agent that ran has no `modelSeconds` (results written before
   * it was recorded).
   */
  model: ModelBound | null;
}

/**
 * The honest bound: what the agents would take if nothing but the model took time. Agent times include the queueing
 * behind worktrees, git and tools; a bound made from them hides that overhead, this one shows it.
 */
interface ModelBound {
  /**
   * Lower bound on the wall time from each agent's model time: the longest chain of dependent tasks, or all model
   * time spread over every slot, whichever is longer.
   */
  idealSeconds: number;
  /** Which bound gave `idealSeconds`. */
  bound: IdealBound;
  /** `wallSeconds − idealSeconds`: everything the run spent on anything but waiting for the model. */
  overheadSeconds: number;
  /** `idealSeconds / wallSeconds`; null when the wall time is 0. */
  efficiency: number | null;
  /** Each agent that ran, in result order: its time not spent waiting for a model reply (agent − model time). */
  agents: { id: string; overheadSeconds: number }[];
}

export interface TimingOptions {
  /** Agents allowed at once (`max-concurrency`). At least 1; `Infinity` means unlimited. */
  concurrency: number;
  /**
   * Agent time along the longest chain of dependent tasks, when the plan knows one. Without it tasks count as
   * independent and the longest single agent is the chain.
   */
  criticalPathSeconds?: number;
  /** What waits for what (the plan's dependencies): the model-only bound follows their longest chain. */
  dependencies?: readonly { task: string; dependsOn: string }[];
}

/** Whether an agent ran at all: a task skipped before it started has no start time. */
export function hasStarted(result: AgentResult): boolean {
  return result.startedAt > 0;
}

export function computeTiming(results: readonly AgentResult[], opts: TimingOptions): Timing {
  const { concurrency } = opts;
  if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${concurrency}`);

  const ran = results.filter(hasStarted);
  let sequentialSeconds = 0;
  let longestSeconds = 0;
  let startedAt: number | null = null;
  let endedAt: number | null = null;
  for (const result of ran) {
    sequentialSeconds += result.seconds;
    longestSeconds = Math.max(longestSeconds, result.seconds);
    // An end before the start can only be a missing end; the agent then occupies no wall time of its own.
    const end = Math.max(result.endedAt, result.startedAt);
    startedAt = startedAt === null ? result.startedAt : Math.min(startedAt, result.startedAt);
    endedAt = endedAt === null ? end : Math.max(endedAt, end);
  }
  const wallSeconds = startedAt === null || endedAt === null ? 0 : (endedAt - startedAt) / 1000;

  const { seconds: idealSeconds, bound: idealBound } = idealLowerBound({
    longestSeconds,
    throughputSeconds: sequentialSeconds / concurrency,
    criticalPathSeconds: opts.criticalPathSeconds,
  });

  return {
    agents: ran.length,
    sequentialSeconds,
    wallSeconds,
    // A zero wall time has no meaningful ratio; null renders as "—" rather than a made-up 1×.
    speedup: wallSeconds > 0 ? sequentialSeconds / wallSeconds : null,
    idealSeconds,
    idealBound,
    efficiency: wallSeconds > 0 ? idealSeconds / wallSeconds : null,
    longestSeconds,
    concurrency,
    startedAt,
    endedAt,
    model: modelBound(ran, wallSeconds, opts),
  };
}

/** {@link ModelBound} of the agents that ran, or null when one of them has no model time. */
function modelBound(
  ran: readonly AgentResult[],
  wallSeconds: number,
  opts: TimingOptions,
): ModelBound | null {
  const model = new Map<string, number>();
  for (const result of ran) {
    if (result.modelSeconds === undefined) return null;
    model.set(result.id, result.modelSeconds);
  }
  const waitsFor = new Map<string, string[]>();
  for (const { task, dependsOn } of opts.dependencies ?? []) {
    waitsFor.set(task, [...(waitsFor.get(task) ?? []), dependsOn]);
  }
  // Model time from the start of the longest chain that ends with each task; tasks that did not run add nothing.
  const chain = new Map<string, number>();
  const chainOf = (id: string, seen: Set<string>): number => {
    const known = chain.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0;
    seen.add(id);
    const before = Math.max(0, ...(waitsFor.get(id) ?? []).map((dep) => chainOf(dep, seen)));
    const total = before + (model.get(id) ?? 0);
    chain.set(id, total);
    return total;
  };
  let longest = 0;
  let longestChain = 0;
  let total = 0;
  for (const [id, seconds] of model) {
    longest = Math.max(longest, seconds);
    longestChain = Math.max(longestChain, chainOf(id, new Set()));
    total += seconds;
  }
  const { seconds: idealSeconds, bound } = idealLowerBound({
    longestSeconds: longest,
    throughputSeconds: total / opts.concurrency,
    criticalPathSeconds: longestChain > longest ? longestChain : undefined,
  });
  return {
    idealSeconds,
    bound,
    overheadSeconds: wallSeconds - idealSeconds,
    efficiency: wallSeconds > 0 ? idealSeconds / wallSeconds : null,
    agents: ran.map((r) => ({ id: r.id, overheadSeconds: r.seconds - (r.modelSeconds ?? 0) })),
  };
}

/**
 * No schedule finishes before its longest chain of work ends, nor before the total work has been spread over every
 * slot; the larger of the two is the bound.
 */
function idealLowerBound(bounds: {
  longestSeconds: number;
  throughputSeconds: number;
  criticalPathSeconds: number | undefined;
}): { seconds: number; bound: IdealBound } {
  const chain =
    bounds.criticalPathSeconds === undefined
      ? { seconds: bounds.longestSeconds, bound: 'longest-agent' as const }
      : {
          seconds: Math.max(bounds.criticalPathSeconds, bounds.longestSeconds),
          bound: 'critical-path' as const,
        };
  return bounds.throughputSeconds > chain.seconds
    ? { seconds: bounds.throughputSeconds, bound: 'concurrency' }
    : chain;
}

/** Agent time along the plan's critical path, as the agents actually took: the chain no schedule could shorten. */
export function criticalPathAgentSeconds(
  criticalPath: readonly string[],
  results: readonly { id: string; seconds: number }[],
): number | undefined {
  if (criticalPath.length < 2) return undefined;
  const seconds = new Map(results.map((r) => [r.id, r.seconds]));
  return criticalPath.reduce((sum, id) => sum + (seconds.get(id) ?? 0), 0);
}

/** A duration as a reader wants it: `42.1 s`, `3 m 05 s`, `1 h 02 m 05 s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const tenths = Math.round(Math.max(0, seconds) * 10) / 10;
  if (tenths < 60) return `${tenths.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} m ${s} s` : `${m} m ${s} s`;
}
