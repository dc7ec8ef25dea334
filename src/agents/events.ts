import type { AgentResult, Usage } from './result.js';

/**
 * What happens during a run, as one typed stream. The live log, the summary and every other reporter read these;
 * none of them reaches into an agent.
 */
export type AgentEvent =
  | { type: 'started'; task: string; at: number; branch: string; model: string }
  /** A model reply arrived; `text` is what it said this turn. */
  | { type: 'turn'; task: string; at: number; turn: number; stopReason: string | null; text: string }
  | { type: 'tool-call'; task: string; at: number; tool: string; id: string; input: Record<string, unknown> }
  | {
      type: 'tool-result';
      task: string;
      at: number;
      tool: string;
      id: string;
      isError: boolean;
      output: string;
    }
  | { type: 'usage'; task: string; at: number; usage: Usage }
  /** A reply broke off mid-stream and the turn is being sent again. */
  | { type: 'retry'; task: string; at: number; attempt: number; reason: string }
  /** The agent's end, whatever it was; `result.status` says which. */
  | { type: 'ended'; task: string; at: number; result: AgentResult };

export type AgentEventListener = (event: AgentEvent) => void;

/** A minimal synchronous fan-out: listeners see events in the order they were emitted. */
export class EventStream {
  readonly #listeners: AgentEventListener[] = [];

  on(listener: AgentEventListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  emit(event: AgentEvent): void {
    // A copy: a listener may remove itself (or another) while the event is handed out.
    for (const listener of [...this.#listeners]) listener(event);
  }
}
