/** Tokens as the Messages API reports them. */
export interface Usage {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

export const noUsage = (): Usage => ({ input: 0, output: 0, cacheWrite: 0, cacheRead: 0 });

/** Usage as a Messages API reply reports it (`usage` of a message), in this project's terms. */
export function usageOf(reply: {
  usage: {
    input_tokens?: number | null;
    output_tokens?: number | null;
    cache_creation_input_tokens?: number | null;
    cache_read_input_tokens?: number | null;
  };
}): Usage {
  const u = reply.usage;
  return {
    input: u.input_tokens ?? 0,
    output: u.output_tokens ?? 0,
    cacheWrite: u.cache_creation_input_tokens ?? 0,
    cacheRead: u.cache_read_input_tokens ?? 0,
  };
}

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
 * `failed-verification`: the agent finished, but the repository's `verify` command failed on its work.
 * `skipped` never started (a dependency did not succeed); `missing` is a task of a fan-out whose shard left no result; `cancelled` and `budget` were stopped by the run's
 * cancellation or its spent budget, before or after they started.
 */
export type AgentStatus =
  | 'succeeded'
  | 'failed'
  | 'failed-verification'
  | 'turn-limit'
  | 'timeout'
  | 'budget'
  | 'cancelled'
  | 'skipped'
  | 'missing';

/** One run of a repository's own command (`setup` or `verify`) in an agent's worktree, in the shell's sandbox. */
export interface CommandRun {
  command: string;
  /** Null when it did not finish: it timed out, the run was cancelled, or its shell could not start. */
  exitCode: number | null;
  seconds: number;
  /** The end of what it printed, stdout and stderr together. */
  outputTail: string;
  /** Why there is no exit code. */
  error?: string;
}

/** What `verify` said about an agent's work: every run, the first and one after each fix-up round. */
export interface Verification {
  /** Whether the last run exited 0. */
  passed: boolean;
  runs: CommandRun[];
  /** Rounds in which the failing output went back to the agent. */
  fixUps: number;
}

/** What an agent says of its own work: the structured form its last reply takes (the API's structured output). */
export interface AgentReport {
  /** `done`: the task is complete; `partial`: part of it is; `blocked`: the agent could not do it. */
  outcome: AgentOutcome;
  /** Markdown for the maintainers: what changed and why, and how it was checked. */
  summary: string;
  changes: string[];
  risks: string[];
  followUps: string[];
}

export type AgentOutcome = 'done' | 'partial' | 'blocked';

/** A change the commit left out, and why. */
export interface SkippedFile {
  /** Relative to the worktree; a nested repository is its directory. */
  path: string;
  reason: string;
}

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
  /**
   * Model time: the part of `seconds` spent waiting for model replies, each from its request to the end of its
   * stream. Absent from results written before it was recorded.
   */
  modelSeconds?: number;
  /** Model requests answered. */
  turns: number;
  toolCalls: number;
  usage: Usage;
  /** Dollars, from the usage and the model's price; null when the price is unknown. */
  costUsd: number | null;
  /** The agent's final text. */
  report: string;
  branch: string;
  /**
   * The tasks whose work this one started from, nearest first (its dependencies and the tasks it stacks on, and what
   * they built on in turn); absent when it started from the base commit.
   */
  buildsOn?: string[];
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
  /** The `setup` command's run in the worktree before the agent's tools could touch it. */
  setup?: CommandRun;
  /** The `verify` command's verdict on the agent's work; absent without `verify` or when the agent did not finish. */
  verification?: Verification;
  /** What the agent said of its own work (its outcome, changes, risks, follow-ups); `report` is its Markdown. */
  agentReport?: AgentReport;
  /** The pull request holding `branch` (with `pull-requests: combined`, the combined one); absent when none was opened. */
  pullRequest?: PullRequestRef;
  /** Why GitHub would not open the pull request for the pushed branch, and where to open it by hand. */
  pullRequestNotOpened?: PullRequestNotOpened;
  /** Tasks whose branches do not merge cleanly with this one's (`git merge-tree`); absent when it was not checked. */
  conflictsWith?: string[];
  /** This branch's place (from 1) in a merge order that works; absent when it is not in that order. */
  mergeOrder?: number;
  /** Why the branch is not in the merge order (a conflict, or the agent did not succeed). */
  leftOut?: string;
}

/** A pull request on GitHub, as the reports link it. */
export interface PullRequestRef {
  number: number;
  url: string;
}

/** A pull request GitHub refused to open: why, in one line, and the page that opens it by hand. */
export interface PullRequestNotOpened {
  reason: string;
  compareUrl?: string;
}

/**
 * What a task came to, for every table, headline and count: its status, except that an agent which ended normally
 * but said it did only part of the task (`partial`) or could not do it (`blocked`) is not counted as succeeded.
 */
export type Verdict = AgentStatus | 'partial' | 'blocked';

export function verdictOf(result: Pick<AgentResult, 'status' | 'agentReport'>): Verdict {
  const said = result.agentReport?.outcome;
  return result.status === 'succeeded' && (said === 'partial' || said === 'blocked') ? said : result.status;
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

/** The result of a task the run's stop (a cancellation, the budget) reached before its agent sent anything. */
export function stoppedBeforeStart(
  task: { id: string; title: string },
  stop: RunStop,
  model: string,
): AgentResult {
  return stop === 'budget'
    ? notStarted(task, 'budget', "not started: the run's max-cost-usd was reached", model)
    : notStarted(task, 'cancelled', 'the run was cancelled before it started', model);
}
