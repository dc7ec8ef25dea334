import type { SkippedFile } from './workspace.js';
/** Tokens as the Messages API reports them. */
export interface Usage {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

export const noUsage = (): Usage => ({ input: 0, output: 0, cacheWrite: 0, cacheRead: 0 });

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    cacheRead: a.cacheRead + b.cacheRead,
  };
}

/**
 * How an agent ended. `turn-limit` and `timeout` are limits reached, not crashes: the agent's work so far is kept.
 * `skipped` never started (a dependency did not succeed); `missing` is a task of a fan-out whose shard left no result; `cancelled` and `budget` were stopped by the run's
 * cancellation or its spent budget, before or after they started.
 */
export type AgentStatus =
  'succeeded' | 'failed' | 'turn-limit' | 'timeout' | 'budget' | 'cancelled' | 'skipped' | 'missing';

/** Why a whole run stops early: the job was cancelled, or `max-cost-usd` was spent. The abort reason of its signal. */
export type RunStop = 'cancelled' | 'budget';

/** Everything recorded about one agent's run; also one element of the `results` output. */
export interface AgentResult {
  id: string;
  title: string;
  status: AgentStatus;
  model: string;
  /** Epoch milliseconds. */
  startedAt: number;
  endedAt: number;
  /** Agent time: its own start to end. */
  seconds: number;
  /** Model requests answered. */
  turns: number;
  toolCalls: number;
  usage: Usage;
  /** Dollars, from the usage and the model's price; null when the price is unknown. */
  costUsd: number | null;
  /** The agent's final text. */
  report: string;
  branch: string;
  /** Commit on `branch` holding the agent's changes; absent when it changed nothing. */
  commit?: string;
  /** Whether `branch` was pushed to `origin`. */
  pushed: boolean;
  /** Why a branch with a commit was not pushed (no `origin`). */
  notPushed?: string;
  /** Changes the commit had to leave out, each with why; the rest of the work is on the branch. */
  skipped?: SkippedFile[];
  filesChanged: string[];
  insertions: number;
  deletions: number;
  /** Why the agent did not succeed. */
  error?: string;
}

/** The result of a task whose agent never started: nothing ran, nothing changed, and `reason` says why. */
export function notStarted(
  task: { id: string; title: string },
  status: 'skipped' | 'failed' | RunStop,
  reason: string,
  model: string,
): AgentResult {
  return {
    id: task.id,
    title: task.title,
    status,
    model,
    startedAt: 0,
    endedAt: 0,
    seconds: 0,
    turns: 0,
    toolCalls: 0,
    usage: noUsage(),
    costUsd: 0,
    report: '',
    branch: '',
    pushed: false,
    filesChanged: [],
    insertions: 0,
    deletions: 0,
    error: reason,
  };
}
