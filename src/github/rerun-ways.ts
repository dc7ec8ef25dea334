import type { RerunWays } from '../report/next-steps.js';
import type { RunTrigger } from './trigger.js';

/**
 * How a task of this run is started again: `/agents run ID` on the issue the run came from (its label, a comment, any
 * event of its own) where comments start runs; `only: failed` on a new run that keeps its comment on the same issue;
 * neither without an issue to comment on, where `only: failed` has no record to read.
 */
export function rerunWays(
  trigger: RunTrigger,
  commentOn: number | undefined,
  commentCommand: boolean,
): RerunWays {
  if (commentOn === undefined) return {};
  const fromIssue = trigger.kind !== 'dispatch' && trigger.issue?.number === commentOn;
  return fromIssue && commentCommand ? { commentOn, issue: commentOn } : { issue: commentOn };
}
