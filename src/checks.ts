import type { CommandRun } from './result.js';

/** The repository's own commands, run in every agent's worktree. */
export interface Checks {
  /** Run before the agent's tools may touch the worktree (`npm ci`); none when empty. */
  setup: string;
  /** Run on the agent's finished work, and once on the merge of every verified branch (`npm test`); none when empty. */
  verify: string;
  /** Longest one run of `verify` may take. */
  verifyTimeoutMs: number;
  /** Rounds in which a failing `verify` goes back to the agent before its task counts as failed. */
  verifyRetries: number;
}

/** What the trial merges of the agents' branches found. */
export interface MergeCheck {
  /** Every changed branch that was trial-merged, in the order given (dependencies first). */
  branches: { task: string; branch: string }[];
  /** Pairs of branches that do not merge cleanly, with the files in conflict; a pair not listed merges cleanly. */
  conflicts: { tasks: [string, string]; files: string[] }[];
  /** Tasks whose branches merge cleanly one on top of the other in this order, dependencies first. */
  order: string[];
  /** Branches left out of {@link order}, each with why. */
  leftOut: { task: string; reason: string }[];
  /** The branch that holds {@link order} merged (`pull-requests: combined`), and its tip. */
  combined?: { branch: string; commit: string };
}

/** `verify` on the merge of every verified branch: whether the work done in parallel also works together. */
export interface TogetherCheck {
  /** Tasks whose branches went into the merge, in the order they were merged. */
  merged: string[];
  /** Branches left out because they conflict with the merge before them, with the files in conflict. */
  conflicts: { task: string; files: string[] }[];
  /** `setup` in the merged worktree, when there is one. */
  setup?: CommandRun;
  /** `verify` on the merge; absent when `setup` failed there. */
  verify?: CommandRun;
  /** Whether `verify` passed on the merge; null when too few branches merged to run it. */
  passed: boolean | null;
}
