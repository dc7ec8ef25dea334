import { costOf, priceOf, type PriceTable } from './model/pricing.js';
import type { MergeCheck } from './checks.js';
import type { AgentResult, RunStop, Usage } from './result.js';
import type { TogetherCheck } from './checks.js';
import type { RunEvent, RunShape } from './events.js';
import { computeTiming, criticalPathAgentSeconds, type Timing } from './report/timing.js';
import type { Plan } from './tasks/plan.js';

/** An agent at work: what the live views show while it runs. */
interface RunningAgent {
  startedAt: number;
  model: string;
  turns: number;
  toolCalls: number;
  /** Its latest progress: the percent it last reported, and what it is doing now. */
  progress?: AgentProgress;
}

export interface AgentProgress {
  /** 0–100 as the agent last said; null until it has. */
  percent: number | null;
  doing: string;
  at: number;
  /** The agent's own words, rather than what its last tool call stands in with. */
  reported: boolean;
}

/**
 * Why a task waited before it started, as the timelines draw it: for what it waits for (a dependency, or an overlap
 * it stacks on) until `readyAt`, then for a free slot from `slotFrom`.
 */
interface TaskWait {
  task: string;
  /** When the last of the tasks it waits for ended; the run's start when it waits for none. */
  readyAt: number;
  /** The tasks it waited for, the one that ended last first; empty when it waits for none. */
  on: { id: string; stacked: boolean }[];
  /** From when it waited with every slot taken; null when a slot was free once it was ready. */
  slotFrom: number | null;
}

/** Whether every slot is taken, and the last stretch when they all were. */
interface Slots {
  /** Agents allowed at once now: `concurrency`, or less while the runner's load holds it lower. */
  limit: number | null;
  fullSince: number | null;
  lastFull: { from: number; to: number } | null;
}

/** A note one agent posted for the others. */
export interface RunNote {
  task: string;
  at: number;
  topic: string;
  text: string;
}

/**
 * Where a run stands, folded from its events and nothing else. Results, progress, timing, the budget and every
 * report are read from here, so they cannot disagree.
 */
export interface RunState {
  /** The tasks of the run, in the order given. Empty until `run-started`. */
  tasks: { id: string; title: string; model: string }[];
  concurrency: number;
  source: string;
  /** What waits for what; empty until `run-started`, and for a run without a plan. */
  shape: RunShape;
  startedAt: number | null;
  endedAt: number | null;
  running: Record<string, RunningAgent>;
  /** Every task that has ended, by id. */
  ended: Record<string, AgentResult>;
  /** Dollars spent so far on replies whose model has a known price. */
  spentUsd: number;
  /** Whether a reply came from a model with no known price: then `spentUsd` is a lower bound. */
  unpriced: boolean;
  /** What predicting the plan cost, when it was predicted: counted in the run's cost; null when its price is unknown. */
  planCostUsd: number | null;
  /** 429/529 responses seen. */
  throttles: number;
  stopping: { reason: RunStop; detail: string } | null;
  warnings: string[];
  /** `verify` on the merge of every verified branch, once it has run. */
  together: TogetherCheck | null;
  /** What the trial merges of the changed branches found, once they have run. */
  mergeCheck: MergeCheck | null;
  /** The run's timing, worked out once from the ended tasks and the shape when the run ends; null until then. */
  timing: Timing | null;
  /**
   * When each task that waits for others could start: the last of them had ended. One that waits for none could at
   * the run's start. Appended to, in the order they became ready (a record of thousands would be copied each time).
   */
  readyAt: { task: string; at: number }[];
  /** Why each task that started waited before it did, in the order they started. */
  waits: TaskWait[];
  slots: Slots;
  /** What the agents told each other, in the order they posted it. */
  notes: RunNote[];
}

export function initialRunState(): RunState {
  return {
    tasks: [],
    concurrency: 1,
    source: '',
    shape: { dependencies: [], criticalPath: [] },
    startedAt: null,
    endedAt: null,
    running: {},
    ended: {},
    spentUsd: 0,
    planCostUsd: 0,
    unpriced: false,
    throttles: 0,
    stopping: null,
    warnings: [],
    together: null,
    mergeCheck: null,
    timing: null,
    readyAt: [],
    waits: [],
    slots: { limit: null, fullSince: null, lastFull: null },
    notes: [],
  };
}

/** The reducer of a run's events, pricing usage with `prices`. Pure: the caller keeps the state. */
export function runReducer(prices: PriceTable): (state: RunState, event: RunEvent) => RunState {
  return (state, event) => {
    switch (event.type) {
      case 'run-started':
        return {
          ...state,
          tasks: event.tasks,
          concurrency: event.concurrency,
          source: event.source,
          shape: event.shape ?? state.shape,
          startedAt: event.at,
        };
      case 'started': {
        const running = {
          ...state.running,
          [event.task]: { startedAt: event.at, model: event.model, turns: 0, toolCalls: 0 },
        };
        const waits = [...state.waits, waitBefore(state, event.task, event.at)];
        return { ...state, running, waits, slots: slotsAfter(state, running, event.at) };
      }
      case 'concurrency': {
        const next = { ...state, slots: { ...state.slots, limit: event.limit } };
        return { ...next, slots: slotsAfter(next, state.running, event.at) };
      }
      case 'turn':
        return updateRunning(state, event.task, (a) => ({ ...a, turns: event.turn }));
      case 'tool-call':
        return updateRunning(state, event.task, (a) => ({ ...a, toolCalls: a.toolCalls + 1 }));
      case 'progress': {
        const { percent, doing, at, reported } = event;
        // A stand-in says what the agent does now; how far it is stays what it last said.
        return updateRunning(state, event.task, (a) => ({
          ...a,
          progress: { percent: reported ? percent : (a.progress?.percent ?? null), doing, at, reported },
        }));
      }
      case 'note': {
        const { task, at, topic, text } = event;
        return { ...state, notes: [...state.notes, { task, at, topic, text }] };
      }
      case 'usage': {
        const model = state.running[event.task]?.model ?? modelOf(state, event.task);
        const cost = costOf(event.usage, model === undefined ? undefined : priceOf(model, prices));
        return cost === null
          ? { ...state, unpriced: true }
          : { ...state, spentUsd: state.spentUsd + Math.max(0, cost) };
      }
      case 'ended': {
        const { [event.task]: _, ...running } = state.running;
        const ended = { ...state.ended, [event.task]: event.result };
        return {
          ...state,
          running,
          ended,
          readyAt: readyAfter(state, ended, event.task, event.at),
          slots: slotsAfter(state, running, event.at),
        };
      }
      case 'throttled':
        return { ...state, throttles: state.throttles + 1 };
      case 'plan-predicted': {
        const cost = costOf(event.usage, priceOf(event.model, prices));
        return cost === null
          ? { ...state, unpriced: true, planCostUsd: null }
          : { ...state, spentUsd: state.spentUsd + cost, planCostUsd: cost };
      }
      case 'stopping':
        return state.stopping
          ? state
          : { ...state, stopping: { reason: event.reason, detail: event.detail } };
      case 'warning':
        return { ...state, warnings: [...state.warnings, event.message] };
      case 'together':
        return { ...state, together: event.check };
      case 'pull-request':
        return updateEnded(state, event.task, (r) => ({ ...r, pullRequest: event.pullRequest }));
      case 'pull-request-not-opened':
        return updateEnded(state, event.task, (r) => ({ ...r, pullRequestNotOpened: event.notOpened }));
      case 'merge-check':
        return { ...state, mergeCheck: event.check, ended: withMergeCheck(state.ended, event.check) };
      case 'run-ended':
        return { ...state, endedAt: event.at, timing: timingOf(state) };
      default:
        return state;
    }
  };
}

/** Each checked result with the tasks it conflicts with, its place in the merge order, or why it is not in it. */
function withMergeCheck(ended: Record<string, AgentResult>, check: MergeCheck): Record<string, AgentResult> {
  const out = { ...ended };
  for (const { task } of check.branches) {
    const result = out[task];
    if (!result) continue;
    const conflictsWith = check.conflicts.flatMap(({ tasks: [a, b] }) =>
      a === task ? [b] : b === task ? [a] : [],
    );
    const place = check.order.indexOf(task);
    const leftOut = check.leftOut.find((l) => l.task === task)?.reason;
    out[task] = {
      ...result,
      conflictsWith,
      ...(place >= 0 ? { mergeOrder: place + 1 } : {}),
      ...(leftOut === undefined ? {} : { leftOut }),
    };
  }
  return out;
}

/** `readyAt` once `task` has ended at `at`: each task that waited for it and for nothing else still going is ready. */
function readyAfter(
  state: RunState,
  ended: Record<string, AgentResult>,
  task: string,
  at: number,
): RunState['readyAt'] {
  const { dependencies } = state.shape;
  // Each task is ready once: when the last of what it waits for ends.
  const ready = new Set(dependencies.filter((d) => d.dependsOn === task).map((d) => d.task));
  if (ready.size === 0) return state.readyAt;
  for (const d of dependencies) if (ready.has(d.task) && !ended[d.dependsOn]) ready.delete(d.task);
  return ready.size ? [...state.readyAt, ...[...ready].map((id) => ({ task: id, at }))] : state.readyAt;
}

/** Whether every slot is taken once `running` runs, and since when; the last full stretch when one just freed. */
function slotsAfter(state: RunState, running: Record<string, RunningAgent>, at: number): Slots {
  const { slots } = state;
  const limit = Math.max(1, Math.min(state.concurrency, slots.limit ?? Infinity));
  const full = Object.keys(running).length >= limit;
  if (full) return slots.fullSince === null ? { ...slots, fullSince: at } : slots;
  if (slots.fullSince === null) return slots;
  return { ...slots, fullSince: null, lastFull: { from: slots.fullSince, to: at } };
}

/** Why `task`, starting at `at`, waited: for what it waits for until it was ready, then for a slot if all were taken. */
function waitBefore(state: RunState, task: string, at: number): TaskWait {
  const readyAt = Math.min(at, state.readyAt.findLast((r) => r.task === task)?.at ?? state.startedAt ?? at);
  const on = state.shape.dependencies
    .filter((d) => d.task === task)
    .map((d) => ({
      id: d.dependsOn,
      stacked: d.stacked === true,
      end: state.ended[d.dependsOn]?.endedAt ?? 0,
    }))
    .sort((a, b) => b.end - a.end)
    .map(({ id, stacked }) => ({ id, stacked }));
  const { fullSince, lastFull } = state.slots;
  // Full still (the limit was lowered), or full until just now: the stretch the task waited through.
  const stretch = fullSince !== null ? { from: fullSince, to: at } : lastFull;
  const slotFrom = stretch && stretch.to > readyAt ? Math.max(stretch.from, readyAt) : null;
  return { task, readyAt, on, slotFrom };
}

function updateRunning(state: RunState, task: string, update: (a: RunningAgent) => RunningAgent): RunState {
  const agent = state.running[task];
  return agent ? { ...state, running: { ...state.running, [task]: update(agent) } } : state;
}

function updateEnded(state: RunState, task: string, update: (r: AgentResult) => AgentResult): RunState {
  const result = state.ended[task];
  return result ? { ...state, ended: { ...state.ended, [task]: update(result) } } : state;
}

function modelOf(state: RunState, task: string): string | undefined {
  return state.tasks.find((t) => t.id === task)?.model;
}

/** Every ended task's result, in the order the tasks were given. */
export function resultsOf(state: RunState): AgentResult[] {
  return state.tasks.flatMap((t) => (state.ended[t.id] ? [state.ended[t.id]!] : []));
}

/**
 * The run's timing from its ended tasks, following what waits for what. The reducer keeps it in `timing` when the run
 * ends, and every report reads it from there.
 */
export function timingOf(state: RunState): Timing {
  if (state.timing) return state.timing;
  const results = resultsOf(state);
  return computeTiming(results, {
    concurrency: Math.max(1, state.concurrency),
    criticalPathSeconds: criticalPathAgentSeconds(state.shape.criticalPath, results),
    dependencies: state.shape.dependencies,
  });
}

/** What the timing follows in a plan: its dependencies, its stacks (an overlap waits as a dependency does), its longest chain. */
export function shapeOf(plan: Pick<Plan, 'dependencies' | 'stacks' | 'criticalPath'>): RunShape {
  return {
    dependencies: [
      ...plan.dependencies.map(({ task, dependsOn }) => ({ task, dependsOn })),
      ...plan.stacks.map(({ task, on }) => ({ task, dependsOn: on, stacked: true })),
    ],
    criticalPath: [...plan.criticalPath],
  };
}

/** A finished run told by its results alone (the records of a fan-out's shards): what its events would have been. */
export interface RecordedRun {
  /** One per task, in the order the tasks were given. */
  results: readonly AgentResult[];
  concurrency: number;
  source: string;
  shape?: RunShape;
  warnings?: readonly string[];
  /** What predicting the plan used, when it was predicted. */
  prediction?: { model: string; usage: Usage };
}

/** The state of a finished run from its results, folded by the same reducer as a live run's events. */
export function stateOfRecords(run: RecordedRun, prices: PriceTable): RunState {
  const ran = run.results.filter((r) => r.startedAt > 0);
  const first = Math.min(...ran.map((r) => r.startedAt), Date.now());
  const last = Math.max(...ran.map((r) => r.endedAt), first);
  const events: RunEvent[] = [
    {
      type: 'run-started',
      at: first,
      tasks: run.results.map(({ id, title, model }) => ({ id, title, model })),
      concurrency: run.concurrency,
      source: run.source,
      ...(run.shape ? { shape: run.shape } : {}),
    },
    ...(run.warnings ?? []).map((message): RunEvent => ({ type: 'warning', at: first, message })),
    ...(run.prediction ? [{ type: 'plan-predicted' as const, at: first, ...run.prediction }] : []),
    ...startsAndEnds(run.results),
    { type: 'run-ended', at: last },
  ];
  return events.reduce(runReducer(prices), initialRunState());
}

/** Each task's start (when it started) and end, in the order they happened: an end before a start at the same time. */
function startsAndEnds(results: readonly AgentResult[]): RunEvent[] {
  const events = results.flatMap((result): [number, RunEvent][] => {
    const ended: RunEvent = { type: 'ended', task: result.id, at: result.endedAt, result };
    if (!(result.startedAt > 0)) return [[result.endedAt, ended]];
    const { id: task, startedAt: at, branch, model } = result;
    return [
      [at + 0.5, { type: 'started', task, at, branch, model }],
      [Math.max(result.endedAt, at + 0.5), ended],
    ];
  });
  return events.sort((a, b) => a[0] - b[0]).map(([, event]) => event);
}

/** Where the run stands, in counts. `done` counts agents that succeeded, `failed` every other end. */
export interface Progress {
  total: number;
  queued: number;
  running: number;
  done: number;
  failed: number;
}

export function progressOf(state: RunState): Progress {
  const ended = Object.values(state.ended);
  const done = ended.filter((r) => r.status === 'succeeded').length;
  const running = Object.keys(state.running).length;
  const total = state.tasks.length;
  return {
    total,
    running,
    done,
    failed: ended.length - done,
    queued: Math.max(0, total - running - ended.length),
  };
}

/**
 * What a task that has not started waits for: the tasks it depends on or stacks on that have not ended, else a free
 * slot when every slot is taken; neither means it is about to start.
 */
export function waitingFor(
  state: RunState,
  task: string,
): { tasks: { id: string; stacked: boolean }[]; slot: boolean } {
  const tasks = state.shape.dependencies
    .filter((d) => d.task === task && !state.ended[d.dependsOn])
    .map((d) => ({ id: d.dependsOn, stacked: d.stacked === true }));
  const slot = tasks.length === 0 && Object.keys(state.running).length >= Math.max(1, state.concurrency);
  return { tasks, slot };
}

/**
 * Why a task waited before it started, as segments of time in order (epoch milliseconds): for what it waits for
 * (`dependency`, or `overlap` for a task it stacks on) from the run's start until that ended, then `starting` (its
 * worktree made from its foundations) until every slot was taken or it started, then `slot` until it started. Each
 * segment is left out when it took no time; none for a task that did not start.
 */
export function waitSegments(state: RunState, task: string): WaitSegment[] {
  const wait = state.waits.find((w) => w.task === task);
  const start = state.running[task]?.startedAt ?? state.ended[task]?.startedAt;
  if (!wait || !start) return [];
  const segments: WaitSegment[] = [];
  const runStart = Math.min(state.startedAt ?? wait.readyAt, wait.readyAt);
  const on = wait.on.map((o) => o.id);
  if (on.length && wait.readyAt > runStart) {
    const why = wait.on[0]!.stacked ? 'overlap' : 'dependency';
    segments.push({ why, from: runStart, to: wait.readyAt, on });
  }
  const slotFrom = wait.slotFrom === null ? start : Math.min(Math.max(wait.slotFrom, wait.readyAt), start);
  if (slotFrom > wait.readyAt) segments.push({ why: 'starting', from: wait.readyAt, to: slotFrom, on });
  if (start > slotFrom) segments.push({ why: 'slot', from: slotFrom, to: start, on: [] });
  return segments;
}

/** A stretch of a task's wait before it started, and why; `on` names the tasks it waited for. */
export interface WaitSegment {
  why: 'dependency' | 'overlap' | 'starting' | 'slot';
  from: number;
  to: number;
  on: string[];
}

/** The run's cost: every agent's and the plan's prediction, or null when one of their prices is unknown. */
export function runCostOf(state: RunState): number | null {
  const results = resultsOf(state);
  if (state.planCostUsd === null || results.some((r) => r.costUsd === null)) return null;
  return results.reduce((sum, r) => sum + (r.costUsd ?? 0), state.planCostUsd);
}
