import type { MergeCheck } from '../checks.js';
import type { AgentResult } from '../result.js';
import { leftOutList } from './conflicts.js';
import { redactor } from './redact.js';
import {
  breakReferences,
  codeBlock,
  escapeHtml,
  escapeTableCell,
  formatCount,
  sanitizeMarkdown,
} from './sanitize.js';
import { formatCost } from './summary.js';
import { verdictCell } from './verdict.js';
import { formatDuration, hasStarted } from './timing.js';

/** GitHub refuses a pull request body longer than this many characters. */
const BODY_MAX_CHARS = 65_536;
/** What a body is built to, leaving room for what GitHub counts differently (code points, not UTF-16 units). */
const BODY_BUDGET = BODY_MAX_CHARS - 1_024;
/** GitHub cuts a title at 256 characters. */
const TITLE_MAX_CHARS = 256;

/** Where the pull request comes from, for its body. Trusted text the action wrote. */
export interface PullRequestContext {
  /** The issue the run was started from or reports to: `Part of #7`. */
  issue?: number;
  /** The workflow run's page. */
  runUrl?: string;
  /** Values to redact from agent text (the API keys, the token). */
  secrets: readonly string[];
  /** The work this branch is stacked on, nearest first: each to merge before this one. */
  mergeFirst?: readonly MergeFirst[];
}

/** A task whose work a branch is built on: its pull request when it has one, else its branch. */
interface MergeFirst {
  id: string;
  branch: string;
  pullRequest?: { number: number; url: string };
}

/**
 * `BAC-124: Fix model routing`: one line, no control characters, mentions that notify nobody and closing words that
 * close nothing (a squash merge makes the title a commit message on the default branch), within GitHub's limit. The
 * title may come from an issue or Linear, so it is untrusted.
 */
export function pullRequestTitle(id: string, title: string, secrets: readonly string[] = []): string {
  const line = breakReferences(
    redactor(secrets)(`${id}${title ? `: ${title}` : ''}`)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  const chars = [...line];
  return chars.length <= TITLE_MAX_CHARS ? line : `${chars.slice(0, TITLE_MAX_CHARS - 1).join('')}…`;
}

/**
 * One task's draft pull request: `Fixes BAC-124` (Linear's closing word links it), `Part of #<issue>`, the agent's
 * status, time, turns and cost, and its report, sanitized and cut to fit GitHub's body limit.
 */
export function renderPullRequestBody(result: AgentResult, context: PullRequestContext): string {
  const redact = redactor(context.secrets);
  const head = [links([result.id], context.issue), factsTable([result])];
  if (context.mergeFirst?.length) head.push(mergeFirstLine(context.mergeFirst));
  const error = result.error ? `**Error:**\n\n${codeBlock(redact(result.error), 2_000)}` : '';
  if (error) head.push(error);
  const foot = footer(context, 'Running the task again updates this branch and this pull request.');
  const room = BODY_BUDGET - length([...head, foot]) - 32;
  const report = result.report.trim()
    ? `### Report\n\n${sanitizeMarkdown(redact(result.report), Math.max(0, room - 12))}`
    : '_The agent wrote no report._';
  return `${[...head, report, foot].join('\n\n')}\n`;
}

/**
 * The combined pull request: every task merged into it in order, with `Fixes` for each, the branches left out and
 * why, and each agent's report folded.
 */
export function renderCombinedBody(
  results: readonly AgentResult[],
  check: MergeCheck,
  context: PullRequestContext,
): string {
  const redact = redactor(context.secrets);
  const byId = new Map(results.map((r) => [r.id, r]));
  const merged = check.order.flatMap((id) => (byId.get(id) ? [byId.get(id)!] : []));
  const head = [
    links(
      merged.map((r) => r.id),
      context.issue,
    ),
    `Merges the work of ${merged.length} ${merged.length === 1 ? 'agent' : 'agents'}, in this order:`,
    factsTable(merged, true),
  ];
  if (check.leftOut.length) head.push(leftOutList('Left out', check.leftOut));
  const foot = footer(context, 'Running the tasks again rebuilds this branch and updates this pull request.');
  let room = BODY_BUDGET - length([...head, foot]) - 64;
  const reports: string[] = [];
  for (const [i, r] of merged.entries()) {
    if (!r.report.trim()) continue;
    const share = Math.floor(room / (merged.length - i)) - 80;
    if (share < 200) break;
    const open = `<details><summary>${escapeHtml(r.id, 40)} — ${escapeHtml(r.title, 100)}</summary>`;
    const block = `${open}\n\n${sanitizeMarkdown(redact(r.report), share - open.length)}\n\n</details>`;
    reports.push(block);
    room -= block.length + 2;
  }
  const parts = reports.length ? [...head, '### Reports', ...reports, foot] : [...head, foot];
  return `${parts.join('\n\n')}\n`;
}

/** `Fixes BAC-1` per task, one a line, as Linear reads them; then `Part of #7`. */
/** `**Merge first:** #12 (BAC-1), then this one; it is built on their work.` */
function mergeFirstLine(under: readonly MergeFirst[]): string {
  const named = under.map((u) =>
    u.pullRequest ? `#${u.pullRequest.number} (${u.id})` : `${u.id} (branch \`${u.branch}\`)`,
  );
  return `**Merge first:** ${named.join(', ')}. This branch is built on their work, so it shows only its own changes once they are merged.`;
}

function links(ids: readonly string[], issue: number | undefined): string {
  const lines = ids.map((id) => `Fixes ${id}`);
  if (issue !== undefined) lines.push(`Part of #${issue}`);
  return lines.join('\n');
}

function factsTable(results: readonly AgentResult[], numbered = false): string {
  const header = numbered
    ? [
        '| # | Task | Title | Status | Time | Turns | Cost | Files changed |',
        '| ---: | --- | --- | --- | ---: | ---: | ---: | ---: |',
      ]
    : ['| Status | Time | Turns | Cost | Files changed |', '| --- | ---: | ---: | ---: | ---: |'];
  const rows = results.map((r, i) => {
    const facts = [
      verdictCell(r),
      hasStarted(r) ? formatDuration(r.seconds) : '—',
      formatCount(r.turns),
      formatCost(r.costUsd),
      r.filesChanged.length
        ? `${formatCount(r.filesChanged.length)} (+${formatCount(r.insertions)} −${formatCount(r.deletions)})`
        : '0',
    ];
    const lead = numbered
      ? [String(i + 1), `**${escapeTableCell(r.id, 40)}**`, escapeTableCell(r.title, 120) || '—']
      : [];
    return `| ${[...lead, ...facts].join(' | ')} |`;
  });
  return [...header, ...rows].join('\n');
}

function footer(context: PullRequestContext, rerun: string): string {
  const from = context.runUrl ? ` from [this workflow run](${context.runUrl})` : '';
  return `---\n_Opened by parallel-agents${from}. ${rerun}_`;
}

function length(parts: readonly string[]): number {
  return parts.join('\n\n').length + 2;
}
