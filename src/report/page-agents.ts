import type { AgentEvent } from '../events.js';
import { verdictOf, type AgentResult } from '../result.js';
import type { RunState } from '../run-state.js';
import { anchorOf, num } from './page-html.js';

/** One agent as the page shows it: its result once it ended, and its own events for the steps and the timeline. */
export interface AgentView {
  id: string;
  title: string;
  /** The section its row and its bar link to. */
  anchor: string;
  /** Absent while it has not ended (a page of a run still going, or of a log cut short). */
  result?: AgentResult;
  /** A verdict (`succeeded`, `partial`…), or `running` / `queued` for a task that has not ended. */
  status: string;
  /** Epoch milliseconds; null for a task that never started. */
  startedAt: number | null;
  endedAt: number | null;
  events: AgentEvent[];
}

/** Every task of the run in its order, at most `max` of them. */
export function agentViews(
  state: RunState,
  byTask: ReadonlyMap<string, AgentEvent[]>,
  max: number,
): AgentView[] {
  let lastAt = state.startedAt ?? 0;
  for (const list of byTask.values()) lastAt = Math.max(lastAt, list.at(-1)?.at ?? 0);
  return state.tasks.slice(0, max).map((task, index) => {
    const result = state.ended[task.id];
    const events = byTask.get(task.id) ?? [];
    const running = state.running[task.id];
    const view = {
      id: task.id,
      title: result?.title || task.title,
      anchor: anchorOf(task.id, index),
      events,
    };
    if (result) {
      const started = num(result.startedAt) > 0;
      return {
        ...view,
        result,
        status: verdictOf(result),
        startedAt: started ? result.startedAt : null,
        endedAt: started ? Math.max(num(result.endedAt), result.startedAt) : null,
      };
    }
    if (running) return { ...view, status: 'running', startedAt: running.startedAt, endedAt: lastAt };
    return { ...view, status: 'queued', startedAt: null, endedAt: null };
  });
}

/** One of a few fixed CSS classes for a status: only these names, never the status itself, reach the markup. */
export function toneOf(status: string): 'ok' | 'warn' | 'bad' | 'idle' | 'run' {
  switch (status) {
    case 'succeeded':
      return 'ok';
    case 'partial':
    case 'blocked':
    case 'turn-limit':
    case 'timeout':
    case 'budget':
      return 'warn';
    case 'skipped':
    case 'cancelled':
    case 'queued':
      return 'idle';
    case 'running':
      return 'run';
    default:
      return 'bad';
  }
}
