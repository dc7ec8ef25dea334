import { costOf, priceOf, type PriceTable } from './model/pricing.js';
import type { MergeCheck } from './checks.js';
import type { AgentResult, RunStop } from './result.js';
import type { TogetherCheck } from './checks.js';
import type { RunEvent } from './events.js';

/** An agent at work: what the live views show while it runs. */
interface RunningAgent {
  startedAt: number;
  model: string;
  turns: number;
  toolCalls: number;
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
  startedAt: number | null;
  endedAt: number | null;
  running: Record<string, RunningAgent>;
  /** Every task that has ended, by id. */
  ended: Record<string, AgentResult>;
  /** Dollars spent so far on replies whose model has a known price. */
  spentUsd: number;
  /** Whether a reply came from a model with no known price: then `spentUsd` is a lower bound. */
  unpriced: boolean;
  /** 429/529 responses seen. */
  throttles: number;
  stopping: { reason: RunStop; detail: string } | null;
  warnings: string[];
  /** `verify` on the merge of every verified branch, once it has run. */
  together: TogetherCheck | null;
  /** What the trial merges of the changed branches found, once they have run. */
  mergeCheck: MergeCheck | null;
}

export function initialRunState(): RunState {
  return {
    tasks: [],
    concurrency: 1,
    source: '',
    startedAt: null,
    endedAt: null,
    running: {},
    ended: {},
    spentUsd: 0,
    unpriced: false,
    throttles: 0,
    stopping: null,
    warnings: [],
    together: null,
    mergeCheck: null,
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
      case 'stopping':
        return state.stopping
          ? state
          : { ...state, stopping: { reason: event.reason, detail: event.detail } };
      case 'warning':
        return { ...state, warnings: [...state.warnings, event.message] };
      case 'together':
        return { ...state, together: event.check };
      case 'pull-request': {
        const result = state.ended[event.task];
        if (!result) return state;
        return {
          ...state,
          ended: { ...state.ended, [event.task]: { ...result, pullRequest: event.pullRequest } },
        };
      }
      case 'merge-check':
        return { ...state, mergeCheck: event.check, ended: withMergeCheck(state.ended, event.check) };
      case 'run-ended':
        return { ...state, endedAt: event.at };
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

function modelOf(state: RunState, task: string): string | undefined {
  return state.tasks.find((t) => t.id === task)?.model;
}

/** Every ended task's result, in the order the tasks were given. */
export function resultsOf(state: RunState): AgentResult[] {
  return state.tasks.flatMap((t) => (state.ended[t.id] ? [state.ended[t.id]!] : []));
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
