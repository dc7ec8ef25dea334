import { costOf, priceOf, type PriceTable } from './model/pricing.js';
import type { MergeCheck } from './checks.js';
import type { AgentResult, RunStop } from './result.js';
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
      case 'started':
        return {
          ...state,
          running: {
            ...state.running,
            [event.task]: { startedAt: event.at, model: event.model, turns: 0, toolCalls: 0 },
          },
        };
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
        return { ...state, running, ended: { ...state.ended, [event.task]: event.result } };
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
    ...run.results.map((result): RunEvent => ({
      type: 'ended',
      task: result.id,
      at: result.endedAt,
      result,
    })),
    { type: 'run-ended', at: last },
  ];
  return events.reduce(runReducer(prices), initialRunState());
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

/** The run's cost: every agent's and the plan's prediction, or null when one of their prices is unknown. */
export function runCostOf(state: RunState): number | null {
  const results = resultsOf(state);
  if (state.planCostUsd === null || results.some((r) => r.costUsd === null)) return null;
  return results.reduce((sum, r) => sum + (r.costUsd ?? 0), state.planCostUsd);
}
