import type { AgentEvent } from '../agents/events.js';
import { formatDuration } from './format.js';

/** One log line per event worth a line, prefixed with its task: `[BAC-124] edit src/router.js`. */
export function formatEvent(event: AgentEvent): string | null {
  const prefix = `[${event.task}]`;
  switch (event.type) {
    case 'started':
      return `${prefix} started on ${event.branch} (${event.model})`;
    case 'turn': {
      const said = oneLine(event.text, 100);
      return `${prefix} turn ${event.turn} · ${event.stopReason ?? 'no stop reason'}${said ? ` · "${said}"` : ''}`;
    }
    case 'tool-call':
      return `${prefix} ${describeCall(event.tool, event.input)}`;
    case 'tool-result':
      return event.isError ? `${prefix} ✗ ${event.tool}: ${oneLine(event.output, 160)}` : null;
    case 'usage':
      return null;
    case 'ended': {
      const r = event.result;
      const figures = `${formatDuration(r.seconds)} · ${r.turns} turns · ${r.toolCalls} tool calls · ${r.filesChanged.length} files changed`;
      return `${prefix} ${r.status} in ${figures}${r.error ? `: ${r.error}` : ''}`;
    }
  }
}

/** What a tool call is about, in a few words: the file, the pattern, the command. */
function describeCall(tool: string, input: Record<string, unknown>): string {
  const text = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : '');
  switch (tool) {
    case 'read':
    case 'write':
    case 'edit':
      return `${tool} ${oneLine(text('file_path'), 120)}`;
    case 'glob':
    case 'grep':
      return `${tool} ${oneLine(text('pattern'), 80)}${text('path') ? ` in ${oneLine(text('path'), 80)}` : ''}`;
    case 'bash':
      return `bash: ${oneLine(text('command'), 120)}`;
    default:
      return tool;
  }
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Where the run stands, from the events seen so far. */
export interface ProgressState {
  total: number;
  running: number;
  succeeded: number;
  /** Ended any other way than succeeding. */
  unsuccessful: number;
}

export const initialProgress = (total: number): ProgressState => ({
  total,
  running: 0,
  succeeded: 0,
  unsuccessful: 0,
});

export function progressReducer(state: ProgressState, event: AgentEvent): ProgressState {
  if (event.type === 'started') return { ...state, running: state.running + 1 };
  if (event.type !== 'ended') return state;
  // An agent that failed before it started (no worktree) was never counted as running.
  const running = Math.max(0, state.running - (event.result.branch ? 1 : 0));
  return event.result.status === 'succeeded'
    ? { ...state, running, succeeded: state.succeeded + 1 }
    : { ...state, running, unsuccessful: state.unsuccessful + 1 };
}

/** `2/5 running · 2 done · 1 failed · 0 queued` */
export function formatProgress(state: ProgressState): string {
  const queued = state.total - state.running - state.succeeded - state.unsuccessful;
  const failed = state.unsuccessful ? ` · ${state.unsuccessful} did not succeed` : '';
  return `${state.running}/${state.total} running · ${state.succeeded} done${failed} · ${queued} queued`;
}
