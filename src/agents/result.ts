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
 */
export type AgentStatus = 'succeeded' | 'failed' | 'turn-limit' | 'timeout' | 'cancelled';

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
  /** The agent's final text. */
  report: string;
  branch: string;
  /** Commit on `branch` holding the agent's changes; absent when it changed nothing. */
  commit?: string;
  /** Whether `branch` was pushed to `origin`. */
  pushed: boolean;
  filesChanged: string[];
  insertions: number;
  deletions: number;
  /** Why the agent did not succeed. */
  error?: string;
}
