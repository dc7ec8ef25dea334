import type { AgentResult, PullRequestRef } from '../result.js';
import { formatProgress, progressLine } from './live-log.js';
import {
  progressOf,
  resultsOf,
  runCostOf,
  waitingFor,
  type AgentProgress,
  type RunState,
} from '../run-state.js';
import { renderMergeCheck } from './conflicts.js';
import { renderNextSteps, type RerunWays } from './next-steps.js';
import { outcomeOf, renderOutcomeRecord, type Outcome } from './outcome.js';
import { codeBlock, escapeHtml, escapeTableCell, formatCount, sanitizeMarkdown } from './sanitize.js';
import { formatCost, pullRequestCell, timingSection } from './summary.js';
import { anyChecked, anyReported, outcomeCell, renderTogether, verifyCell } from './verification.js';
import { formatDuration, hasStarted } from './timing.js';
import { runHeadline, statusCell, stopWords, verdictCell } from './verdict.js';

/** GitHub refuses an issue comment longer than this many characters. */
export const COMMENT_MAX_CHARS = 65_536;

/** What a comment body may take: the limit less room for the hidden marker the sticky comment puts first. */
const COMMENT_BODY_MAX_CHARS = COMMENT_MAX_CHARS - 256;

/** Everything besides the run's state that the comment shows. All of it is trusted text the action wrote. */
export interface CommentView {
  /** The workflow run's page (see {@link runUrl}); its job summary has every detail. */
  runUrl?: string;
  /** The plan as Markdown (`renderPlan`), folded under the table until the run ends. */
  plan?: string;
  /**
   * One-line facts for the reader that are not the run's warnings (those are in the state): what a comment selected,
   * which tasks `only: failed` left out.
   */
  notes?: string[];
  /** Epoch milliseconds: how long the running agents have been at it. */
  now?: number;
  /** The run broke off with an unexpected error (not an agent's failure): said at the top. */
  failure?: string;
  /** Characters the body may take. Default {@link COMMENT_BODY_MAX_CHARS}. */
  maxChars?: number;
  /** Each task's status in the last run on the issue, carried into this run's record for the tasks it left out. */
  previousOutcome?: Outcome;
  /** The tasks this run leaves out, as earlier runs on the issue left them: kept in the table below this run's. */
  earlier?: EarlierRow[];
  /** How a task is started again from here, for "What next" at the end. */
  rerun?: RerunWays;
}

/** A task an earlier run on the issue ended, which this run leaves out. */
export interface EarlierRow {
  id: string;
  title: string;
  status: string;
  pullRequest?: PullRequestRef;
}

/** `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`, or undefined outside a workflow run. */
export function runUrl(env: Record<string, string | undefined>): string | undefined {
  const repository = env['GITHUB_REPOSITORY'];
  const id = env['GITHUB_RUN_ID'];
  if (!repository || !id) return undefined;
  return `${serverUrl(env)}/${repository}/actions/runs/${id}`;
}

/** `GITHUB_SERVER_URL` without a trailing slash: `https://github.com` unless the runner says otherwise. */
export function serverUrl(env: Record<string, string | undefined>): string {
  return (env['GITHUB_SERVER_URL'] || 'https://github.com').replace(/\/+$/, '');
}

/**
 * The sticky comment for a run in any state: starting (the plan, every task queued, the run link), running (a row
 * per agent with its status, turns, tool calls and time so far), ended (the results table, the timing comparison,
 * PR links, each agent's report folded), cancelled or stopped at the budget, or broken off (`view.failure`). Agent
 * text is sanitized. Never longer than `view.maxChars`: the plan and the reports are shortened first, then the table
 * loses rows, and a visible note says what was shortened.
 */
export function renderComment(state: RunState, view: CommentView = {}): string {
  const maxChars = view.maxChars ?? COMMENT_BODY_MAX_CHARS;
  const ended = state.endedAt !== null;
  const head = [header(state, view), runLine(state, view)];
  const notes = [...state.warnings, ...(view.notes ?? [])];
  // A note may quote task text: sanitized as any untrusted text.
  if (notes.length) {
    head.push(notes.map((n) => `> ${sanitizeMarkdown(oneLine(n), 1_000)}`).join('\n>\n'));
  }
  if (view.failure) head.push(codeBlock(view.failure, 2_000));
  if (state.tasks.length === 0) {
    return fit([...head, '_Reading the tasks…_'], maxChars);
  }

  const results = resultsOf(state);
  const timing = ended ? timingSection(state) : '';
  const next = ended ? renderNextSteps(state, view.rerun) : '';
  const fixed = [...head, timing, next].filter(Boolean);
  const note = (what: string) => shortenedNote(what, view.runUrl);
  // The table comes first; it may take what the rest leaves, less room for the note about what was shortened.
  const tableRoom = maxChars - length(fixed) - 400;
  const { table, omitted } = agentTable(state, view, tableRoom);
  const parts = [...head, table];
  if (timing) parts.push(timing);
  if (ended && state.together) parts.push(renderTogether(state.together));
  const shortened: string[] = [];
  if (omitted) shortened.push(`${formatCount(omitted)} of the table's rows`);

  // The merge check once the run has ended, and the record of each task's status that `only: failed` reads: at the
  // end, and while the run goes on when there is an earlier record to keep (a fan-out's plan, a job that is killed).
  const merges = ended && state.mergeCheck ? renderMergeCheck(state.mergeCheck) : '';
  const record =
    ended || view.previousOutcome ? renderOutcomeRecord(outcomeOf(results, view.previousOutcome)) : '';
  const last = record.length + next.length;
  if (merges && length([...parts, merges]) + last + 800 <= maxChars) parts.push(merges);
  else if (merges) shortened.push('the merge check left out');
  const extraRoom = maxChars - length(parts) - last - 400;
  if (ended) {
    const { block, cut, left } = reports(results, extraRoom);
    if (block) parts.push(block);
    if (cut) shortened.push(`${formatCount(cut)} ${cut === 1 ? 'report' : 'reports'} cut`);
    if (left) shortened.push(`${formatCount(left)} ${left === 1 ? 'report' : 'reports'} left out`);
  } else if (view.plan) {
    const plan = foldedPlan(view.plan, extraRoom);
    if (plan) parts.push(plan);
    else shortened.push('the plan left out');
  }
  if (next) parts.push(next);
  if (shortened.length) parts.push(note(shortened.join(', ')));
  if (record) parts.push(record);
  return fit(parts, maxChars);
}

/** A run that was refused before any work: why, in a line or two. */
export function renderRefusal(reason: string, view: Pick<CommentView, 'runUrl'> = {}): string {
  const parts = ['### 🚫 parallel-agents did not run', oneLine(reason)];
  if (view.runUrl) parts.push(`[Workflow run](${view.runUrl})`);
  return fit(parts, COMMENT_BODY_MAX_CHARS);
}

/** A run stopped by a mistake in its input (an `InputError`): the one line that says what and how to fix it. */
export function renderInputError(message: string, view: Pick<CommentView, 'runUrl'> = {}): string {
  const parts = ['### ❌ parallel-agents could not start', codeBlock(message, 4_000)];
  if (view.runUrl) parts.push(`[Workflow run](${view.runUrl})`);
  return fit(parts, COMMENT_BODY_MAX_CHARS);
}

function header(state: RunState, view: CommentView): string {
  if (view.failure) return '### ❌ parallel-agents failed';
  if (state.startedAt === null) return '### ⏳ parallel-agents: starting';
  if (state.endedAt === null) {
    const stopping = state.stopping ? ` · stopping: ${stopWords(state.stopping.reason)}` : '';
    return `### 🏃 parallel-agents: ${formatProgress(progressOf(state), state.spentUsd)}${stopping}`;
  }
  return `### ${runHeadline(state)}`;
}

/** `3 agents, up to 4 at once · tasks from issue #7 · $0.42 · [workflow run](…)` */
function runLine(state: RunState, view: CommentView): string {
  const facts: string[] = [];
  if (state.tasks.length) {
    const n = state.tasks.length;
    facts.push(`${formatCount(n)} ${n === 1 ? 'agent' : 'agents'}, up to ${state.concurrency} at once`);
  }
  if (state.source) facts.push(`tasks from ${escapeTableCell(state.source, 120)}`);
  if (state.endedAt !== null) {
    const cost = runCostOf(state);
    facts.push(cost === null ? 'cost unknown' : `cost ${formatCost(cost)}`);
  }
  if (view.runUrl) facts.push(`[workflow run](${view.runUrl})`);
  return facts.join(' · ');
}

/** The plan under a fold, or nothing when it does not fit in `room`. */
function foldedPlan(plan: string, room: number): string {
  const block = `<details><summary>Plan</summary>\n\n${plan.trim()}\n\n</details>`;
  return block.length <= room ? block : '';
}

interface Column {
  header: string;
  align: 'left' | 'right';
  cell: (row: Row) => string;
}

/** A task's row: its result when it has ended, its progress while it runs, or what it waits for. */
interface Row {
  id: string;
  title: string;
  result?: AgentResult;
  running?: { seconds: number; turns: number; toolCalls: number; progress?: AgentProgress };
  /** What a task that has not started waits for, in words. */
  waits?: string;
  /** A task this run leaves out: how an earlier run left it. */
  earlier?: EarlierRow;
}

const COLUMNS: Column[] = [
  { header: 'Task', align: 'left', cell: (r) => `**${escapeTableCell(r.id, 40)}**` },
  { header: 'Title', align: 'left', cell: (r) => escapeTableCell(r.title, 60) || '—' },
  {
    header: 'Status',
    align: 'left',
    cell: (r) => statusOf(r),
  },
  { header: 'Now', align: 'left', cell: (r) => nowCell(r) },
  { header: 'Agent says', align: 'left', cell: (r) => (r.result ? outcomeCell(r.result) : '—') },
  { header: 'Verified', align: 'left', cell: (r) => (r.result ? verifyCell(r.result) : '—') },
  { header: 'Time', align: 'right', cell: (r) => time(r) },
  {
    header: 'Turns',
    align: 'right',
    cell: (r) => count(r.result?.turns ?? r.running?.turns),
  },
  {
    header: 'Tool calls',
    align: 'right',
    cell: (r) => count(r.result?.toolCalls ?? r.running?.toolCalls),
  },
  { header: 'Cost', align: 'right', cell: (r) => (r.result ? formatCost(r.result.costUsd) : '—') },
  { header: 'Files', align: 'right', cell: (r) => files(r.result) },
  {
    header: 'PR',
    align: 'left',
    cell: (r) => (r.result ? pullRequestCell(r.result) : earlierPullRequest(r)),
  },
];

function statusOf(r: Row): string {
  if (r.result) return verdictCell(r.result);
  if (r.earlier) return `${statusCell(r.earlier.status)} (earlier run)`;
  return r.running ? '🏃 running' : '⏳ queued';
}

function earlierPullRequest(r: Row): string {
  return r.earlier?.pullRequest ? pullRequestCell({ pullRequest: r.earlier.pullRequest }) : '—';
}

/** A running agent's progress bar and what it is doing; what a queued task waits for. */
function nowCell(r: Row): string {
  if (r.result) return '—';
  const progress = r.running?.progress;
  if (progress) return progressLine(progress.percent, escapeTableCell(progress.doing, 80));
  return r.waits ?? '—';
}

/** `waits for BAC-1, BAC-2 (same files)`, `waits for a free slot`, or `starting`. */
function waitWords(state: RunState, task: string): string {
  const { tasks, slot } = waitingFor(state, task);
  if (tasks.length) {
    const names = tasks.map((t) => `${escapeTableCell(t.id, 40)}${t.stacked ? ' (same files)' : ''}`);
    return `waits for ${names.join(', ')}`;
  }
  return slot ? 'waits for a free slot' : 'starting';
}

function time(r: Row): string {
  if (r.result) return hasStarted(r.result) ? formatDuration(r.result.seconds) : '—';
  return r.running ? formatDuration(r.running.seconds) : '—';
}

function count(n: number | undefined): string {
  return n === undefined ? '—' : formatCount(n);
}

function files(r: AgentResult | undefined): string {
  if (!r) return '—';
  if (r.filesChanged.length === 0) return '0';
  return `${formatCount(r.filesChanged.length)} (+${formatCount(r.insertions)} −${formatCount(r.deletions)})`;
}

function rowsOf(state: RunState, view: CommentView): Row[] {
  const now = view.now ?? state.endedAt ?? Date.now();
  const rows = state.tasks.map((task) => {
    const result = state.ended[task.id];
    const running = state.running[task.id];
    const row: Row = { id: task.id, title: task.title };
    if (result) row.result = result;
    else if (running) {
      const { startedAt, turns, toolCalls, progress } = running;
      row.running = { seconds: Math.max(0, now - startedAt) / 1000, turns, toolCalls };
      if (progress) row.running.progress = progress;
    } else if (state.startedAt !== null) row.waits = waitWords(state, task.id);
    return row;
  });
  const running = new Set(state.tasks.map((t) => t.id));
  const earlier = (view.earlier ?? [])
    .filter((e) => !running.has(e.id))
    .map((e): Row => ({ id: e.id, title: e.title, earlier: e }));
  return [...rows, ...earlier];
}

/** The table, rows in task order, within `room` characters; rows that do not fit are counted. */
function agentTable(state: RunState, view: CommentView, room: number): { table: string; omitted: number } {
  const rows = rowsOf(state, view);
  // `Verified` once an agent has been checked (`setup` or `verify`); `Agent says` once one gave its outcome; `Now`
  // while the run goes on.
  const ended = rows.map((r) => r.result);
  const going = state.startedAt !== null && state.endedAt === null;
  const columns = COLUMNS.filter(
    (c) =>
      (c.header !== 'Verified' || anyChecked(ended)) &&
      (c.header !== 'Agent says' || anyReported(ended)) &&
      (c.header !== 'Now' || going),
  );
  const lines = [
    `| ${columns.map((c) => c.header).join(' | ')} |`,
    `| ${columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`,
  ];
  let used = lines.join('\n').length;
  for (const [i, row] of rows.entries()) {
    const line = `| ${columns.map((c) => c.cell(row)).join(' | ')} |`;
    if (used + line.length + 1 > room) return { table: lines.join('\n'), omitted: rows.length - i };
    lines.push(line);
    used += line.length + 1;
  }
  return { table: lines.join('\n'), omitted: 0 };
}

/** A report smaller than this is left out rather than shown as a stub. */
const MIN_REPORT_CHARS = 500;

/**
 * Every agent's report (and error) folded under its own `<details>`, inside one fold. The room is shared out
 * smallest first, so short reports are shown whole and what they leave goes to the long ones.
 */
function reports(
  results: readonly AgentResult[],
  room: number,
): { block: string; cut: number; left: number } {
  const withText = results.filter((r) => r.report.trim() || r.error);
  if (withText.length === 0) return { block: '', cut: 0, left: 0 };
  const open = '<details><summary>Reports</summary>';
  const close = '</details>';
  let available = room - open.length - close.length - 8;
  const order = withText
    .map((r, i) => ({ i, size: r.report.length + (r.error?.length ?? 0) }))
    .sort((a, b) => a.size - b.size);
  const blocks = new Array<string>(withText.length).fill('');
  let cut = 0;
  for (const [k, { i }] of order.entries()) {
    const result = withText[i]!;
    const share = Math.floor(available / (order.length - k)) - 2;
    if (share < MIN_REPORT_CHARS) continue;
    const { block, shortened } = reportBlock(result, share);
    blocks[i] = block;
    if (shortened) cut += 1;
    available -= block.length + 2;
  }
  const shown = blocks.filter(Boolean);
  const left = withText.length - shown.length;
  if (!shown.length) return { block: '', cut: 0, left };
  return { block: [open, ...shown, close].join('\n\n'), cut, left };
}

function reportBlock(r: AgentResult, room: number): { block: string; shortened: boolean } {
  const summary = `<details><summary>${escapeHtml(r.id, 40)}${r.title ? ` — ${escapeHtml(r.title, 80)}` : ''}</summary>`;
  const close = '</details>';
  let left = room - summary.length - close.length - 8;
  const body: string[] = [];
  let shortened = false;
  if (r.error) {
    const error = codeBlock(r.error, Math.min(1_000, Math.floor(left / 2)));
    if (error !== codeBlock(r.error)) shortened = true;
    body.push(error);
    left -= error.length + 2;
  }
  if (r.report.trim()) {
    const whole = sanitizeMarkdown(r.report);
    const report = whole.length <= left ? whole : sanitizeMarkdown(r.report, Math.max(0, left));
    if (report !== whole) shortened = true;
    if (report) body.push(report);
  }
  return { block: [summary, ...body, close].join('\n\n'), shortened };
}

function shortenedNote(what: string, url: string | undefined): string {
  const where = url ? `the [job summary](${url})` : 'the job summary';
  return `_Shortened to fit GitHub's ${formatCount(COMMENT_MAX_CHARS)}-character limit (${what}); ${where} has everything._`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function length(parts: readonly string[]): number {
  return parts.join('\n\n').length + 2;
}

/** The parts joined; past `maxChars` (which the budgeting above should never reach) cut with a marker. */
function fit(parts: readonly string[], maxChars: number): string {
  const body = `${parts.filter(Boolean).join('\n\n')}\n`;
  if (body.length <= maxChars) return body;
  const marker = '\n\n_… shortened to fit the comment limit._\n';
  let cut = Math.max(0, maxChars - marker.length);
  const code = body.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return body.slice(0, cut) + marker;
}
