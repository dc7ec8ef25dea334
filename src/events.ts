import type { MergeCheck } from './checks.js';
import type {
  AgentResult,
  CommandRun,
  PullRequestNotOpened,
  PullRequestRef,
  RunStop,
  Usage,
} from './result.js';
import type { TogetherCheck } from './checks.js';

/**
 * Every fact of a run, as one typed stream. The live log, the audit log, the budget, the summary, the outputs and
 * the sticky comment all read these; none of them reaches into an agent or into another reporter.
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
  /**
   * Where the agent is: its own word (`reported`, through its progress tool), or, between its reports, what its last
   * tool call was doing (`editing src/router.js`). `percent` is 0–100, null when the agent has not said.
   */
  | { type: 'progress'; task: string; at: number; percent: number | null; doing: string; reported: boolean }
  /** A note the agent posted for the other agents of the run: bounded and redacted by the notes tool. */
  | { type: 'note'; task: string; at: number; topic: string; text: string }
  /** A reply broke off mid-stream and the turn is being sent again. */
  | { type: 'retry'; task: string; at: number; attempt: number; reason: string }
  /**
   * The repository's `setup` or `verify` command ran in the task's worktree. `attempt` counts the runs of that
   * command from 1; `fixUp`, when set, is the fix-up round about to start because this run failed.
   */
  | {
      type: 'check';
      task: string;
      at: number;
      check: 'setup' | 'verify';
      attempt: number;
      run: CommandRun;
      fixUp?: number;
    }
  /** The task's end, whatever it was (never started, too); `result.status` says which. Emitted once per task. */
  | { type: 'ended'; task: string; at: number; result: AgentResult }
  /** After the task ended: its branch is in this pull request, opened now or updated from an earlier run. */
  | { type: 'pull-request'; task: string; at: number; pullRequest: PullRequestRef; created: boolean }
  /** After the task ended: GitHub refused the pull request for its pushed branch. */
  | { type: 'pull-request-not-opened'; task: string; at: number; notOpened: PullRequestNotOpened };

/** What the timing's lower bounds follow: what waits for what, and the plan's longest chain, first task first. */
export interface RunShape {
  /**
   * A dependency, or with stacking an overlap (`stacked`): `task` starts only once `dependsOn` has ended.
   */
  dependencies: { task: string; dependsOn: string; stacked?: boolean }[];
  criticalPath: string[];
}

/** Facts about the run as a whole rather than one agent. */
type RunLevelEvent =
  /** The agents are about to start: the tasks in order, with their titles, and the limit on agents at once. */
  | {
      type: 'run-started';
      at: number;
      tasks: { id: string; title: string; model: string }[];
      concurrency: number;
      source: string;
      /** Absent for a run without a plan: its tasks count as independent. */
      shape?: RunShape;
    }
  /** The endpoint pushed back (429/529): new requests wait `waitMs`, and `limit` may be in flight at once. */
  | { type: 'throttled'; at: number; status: number; waitMs: number; limit: number }
  /** A small model predicted the plan (`plan: predict`) before the agents started; this is what it used. */
  | { type: 'plan-predicted'; at: number; model: string; usage: Usage }
  /** The runner's load changed how many agents may run at once (within `max-concurrency`), and why. */
  | { type: 'concurrency'; at: number; limit: number; reason: string }
  /** The run is stopping every agent: the job was cancelled, or `max-cost-usd` was spent. */
  | { type: 'stopping'; at: number; reason: RunStop; detail: string }
  /** Something the reader should know about the run itself (trusted text, one line). */
  | { type: 'warning'; at: number; message: string }
  /** `verify` ran on the merge of every verified branch. */
  | { type: 'together'; at: number; check: TogetherCheck }
  /** The changed branches were trial-merged: which pairs conflict, and an order that merges cleanly. */
  | { type: 'merge-check'; at: number; check: MergeCheck }
  /** Every task has ended. */
  | {
      type: 'run-ended';
      at: number;
      /** How long the event loop was held up while the agents ran (sampled every 10 ms), in milliseconds. */
      eventLoopDelayMs?: { p99: number; max: number };
    };

export type RunEvent = AgentEvent | RunLevelEvent;

export type RunEventListener = (event: RunEvent) => void;

/**
 * A synchronous fan-out: listeners see events in the order they were emitted. A listener that throws is dropped
 * and reported once through `onListenerError`; the run and every other listener go on.
 */
export class EventStream {
  readonly #listeners: RunEventListener[] = [];
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  on(listener: RunEventListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  emit(event: RunEvent): void {
    // A copy: a listener may remove itself (or another) while the event is handed out.
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        const i = this.#listeners.indexOf(listener);
        if (i >= 0) this.#listeners.splice(i, 1);
        this.#onListenerError(error);
      }
    }
  }
}

/** Whether the event belongs to one task. */
export function isAgentEvent(event: RunEvent): event is AgentEvent {
  return 'task' in event;
}
