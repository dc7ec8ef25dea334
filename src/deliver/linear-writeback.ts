/**
 * Results written back to Linear: a comment on each task's issue with its status, time, cost and pull request, and
 * the pull request attached to the issue. Linear keeps one attachment per URL per issue (creating it again updates
 * it), so a re-run updates the attachment rather than adding a second.
 */
import type { AgentResult } from '../result.js';
import { breakReferences, formatCount, singleLine } from '../report/sanitize.js';
import { formatCost } from '../report/summary.js';
import { verdictCell } from '../report/verdict.js';
import { formatDuration, hasStarted } from '../report/timing.js';
import { LinearApiError, postLinear, type LinearOptions } from '../tasks/linear.js';

const COMMENT_CREATE = `mutation CommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) { success comment { id url } }
}`;

const ATTACHMENT_CREATE = `mutation AttachmentCreate($input: AttachmentCreateInput!) {
  attachmentCreate(input: $input) { success attachment { id url } }
}`;

export interface LinearWriteBackOptions extends Pick<LinearOptions, 'apiKey' | 'apiUrl' | 'retries'> {
  /** The workflow run's page, linked from each comment. */
  runUrl?: string;
}

/** What was written for one task. */
export interface LinearWriteBackOutcome {
  task: string;
  /** The comment's URL, once written. */
  comment?: string;
  /** The attachment's id, once written; absent for a task without a pull request. */
  attachment?: string;
  /** Why a write failed, in one line; the run goes on. */
  error?: string;
}

/**
 * One comment per task, and one attachment per task that has a pull request. Tasks are written one after another
 * (a handful of requests, well inside Linear's limits); a failure is reported in the outcome and never thrown, as the
 * agents' work is already safe on GitHub.
 */
export async function writeBackToLinear(
  results: readonly AgentResult[],
  options: LinearWriteBackOptions,
): Promise<LinearWriteBackOutcome[]> {
  const outcomes: LinearWriteBackOutcome[] = [];
  for (const result of results) {
    const outcome: LinearWriteBackOutcome = { task: result.id };
    try {
      const comment = await mutate(
        COMMENT_CREATE,
        'commentCreate',
        { issueId: result.id, body: linearComment(result, options.runUrl) },
        options,
      );
      outcome.comment = stringField(comment, 'comment', 'url');
      if (result.pullRequest) {
        const attachment = await mutate(
          ATTACHMENT_CREATE,
          'attachmentCreate',
          {
            issueId: result.id,
            url: result.pullRequest.url,
            title: `Pull request #${result.pullRequest.number}`,
            subtitle: `${verdictCell(result)} · parallel-agents`,
          },
          options,
        );
        outcome.attachment = stringField(attachment, 'attachment', 'id');
      }
    } catch (error) {
      outcome.error = `Linear write-back for ${result.id} failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    outcomes.push(outcome);
  }
  return outcomes;
}

/** The comment on a task's Linear issue, in Markdown. Only facts the action measured; no agent text. */
export function linearComment(result: AgentResult, runUrl?: string): string {
  const facts = [verdictCell(result)];
  if (hasStarted(result)) facts.push(formatDuration(result.seconds));
  facts.push(`${formatCount(result.turns)} ${result.turns === 1 ? 'turn' : 'turns'}`);
  facts.push(formatCost(result.costUsd));
  const files = result.filesChanged.length;
  facts.push(`${formatCount(files)} ${files === 1 ? 'file' : 'files'} changed`);
  const lines = [`**parallel-agents**: ${facts.join(' · ')}`];
  if (result.pullRequest)
    lines.push(`Pull request: [#${result.pullRequest.number}](${result.pullRequest.url})`);
  else if (result.commit && result.pushed) lines.push(`Branch: \`${result.branch}\``);
  if (result.leftOut) lines.push(`Left out of the combined branch: ${oneLine(result.leftOut)}`);
  if (runUrl) lines.push(`[Workflow run](${runUrl})`);
  return lines.join('\n\n');
}

/** One mutation; its payload, or a LinearApiError saying what Linear answered instead. */
async function mutate(
  query: string,
  field: string,
  input: Record<string, unknown>,
  options: LinearWriteBackOptions,
): Promise<Record<string, unknown>> {
  const answer = await postLinear({ query, variables: { input } }, options);
  const error = answer.errors?.[0];
  if (error) {
    const message =
      error.extensions?.userPresentableMessage ?? error.message ?? error.extensions?.code ?? 'an error';
    throw new LinearApiError(
      `Linear answered ${field} with ${oneLine(message)}`,
      200,
      error.extensions?.code,
    );
  }
  const payload = answer.data?.[field];
  if (
    typeof payload !== 'object' ||
    payload === null ||
    (payload as { success?: unknown }).success !== true
  ) {
    throw new LinearApiError(`Linear answered ${field} without success`);
  }
  return payload as Record<string, unknown>;
}

function stringField(payload: Record<string, unknown>, object: string, key: string): string | undefined {
  const value = (payload[object] as Record<string, unknown> | null | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** {@link singleLine}, with every mention and closing word broken, so that Linear notifies and links nothing. */
function oneLine(text: string): string {
  return breakReferences(singleLine(text));
}
