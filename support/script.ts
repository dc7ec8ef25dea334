/**
 * What the loopback Messages-API server answers, scripted per task. A conversation is matched to a task by the
 * earliest script id that appears as a whole word in its first user message; its turn number is the count of
 * assistant messages already in the conversation.
 *
 * A request that is not an agent's (such as the plan's prediction) is scripted under `system:` and a phrase of its
 * system prompt: such an id is looked for, as a whole word, in the system prompt instead, and wins over the others.
 */

/** A fault injected instead of (or in the middle of) a normal reply. */
export type Fault =
  /** An HTTP error before any byte of the reply; `retryAfter` seconds go in the `retry-after` header. */
  | { kind: 'http'; status: number; retryAfter?: number; message?: string }
  /** A `event: error` in the middle of an SSE stream (after `message_start` and the first text). */
  | { kind: 'stream-error'; errorType?: string; message?: string }
  /** The connection is destroyed in the middle of the reply. */
  | { kind: 'drop' }
  /** The server never answers (until the client gives up). */
  | { kind: 'hang' };

interface ScriptedToolCall {
  name: string;
  input: Record<string, unknown>;
}

export interface ScriptedTurn {
  /** Text before the tool calls (or the whole reply when there are none). */
  text?: string;
  tools?: ScriptedToolCall[];
  /** Milliseconds the server "thinks" before the reply starts (its time to first token); overrides the default. */
  latencyMs?: number;
  /** Milliseconds the reply then takes to stream, spread over its events; overrides the server default. */
  streamMs?: number;
  /** Fault injected on this turn. `times` (default: always) limits how many requests for this turn get it. */
  fault?: Fault & { times?: number };
  /**
   * The agent's report, sent as the reply's JSON when the request asks for structured output
   * (`output_config.format`) and the turn calls no tool. Without it such a reply is `text` as the summary of a
   * `done` report.
   */
  report?: ScriptedReport;
  /** A structured reply of any other shape, sent as the reply's JSON when the request asks for structured output. */
  json?: unknown;
}

/** A report in the form of the agents' `output_config.format` (see `src/agents/agent-report.ts`). */
interface ScriptedReport {
  outcome: 'done' | 'partial' | 'blocked';
  summary: string;
  changes?: string[];
  risks?: string[];
  follow_ups?: string[];
}

/** Task id → its turns in order. After the last scripted turn the server ends the conversation with plain text. */
export type Scripts = Record<string, ScriptedTurn[]>;

/** The script id of the plan's prediction: a phrase of its system prompt. */
export const PREDICTION = 'system:You predict the plan';

/** One task of a scripted prediction: the files it will touch, why, and no dependency. */
export function predictedPaths(id: string, paths: string[], reason = `${id} edits ${paths.join(', ')}.`) {
  return { id, paths, paths_reason: reason, depends_on: [], depends_on_reason: '' };
}
