import { verdictOf, type AgentResult } from '../result.js';
import {
  resultsOf,
  runCostOf,
  timingOf,
  waitSegments,
  type RunNote,
  type RunState,
  type WaitSegment,
} from '../run-state.js';
import { renderMergeCheck } from './conflicts.js';
import { renderNextSteps, type RerunWays } from './next-steps.js';
import type { ShardReport } from './merge.js';
import {
  anyChecked,
  anyReported,
  outcomeCell,
  renderTogether,
  setupSuffix,
  verifyCell,
  verifyNotes,
} from './verification.js';
import {
  codeBlock,
  codeSpan,
  escapeHtml,
  escapeTableCell,
  formatCount,
  sanitizeMarkdown,
} from './sanitize.js';
import { formatDuration, hasStarted, type IdealBound, type Timing } from './timing.js';
import { runHeadline, statusDisplay, verdictCell } from './verdict.js';

/** GitHub refuses a job summary larger than this many bytes. */
export const SUMMARY_MAX_BYTES = 1024 * 1024;

/** What the job summary shows besides the run's state. */
export interface SummaryView {
  /** The run's default model. */
  model: string;
  /** `owner/name`. */
  repository?: string;
  /** The runners of a fan-out, when this reports one (`mode: report`). */
  shards?: ShardReport[];
  /** How a task is started again, for "What next" at the end. */
  rerun?: RerunWays;
}

/**
 * The job summary of an ended run: a header with the outcome, one table row per agent, the timing comparison, a
 * Mermaid timeline, and each agent's report folded in `<details>`. Never larger than {@link SUMMARY_MAX_BYTES}: the
 * reports share what the rest leaves, and each is cut with a visible marker when it does not fit.
 */
export function renderSummary(state: RunState, view: SummaryView): string {
  const results = resultsOf(state);
  const fixed = [`## ${runHeadline(state)}`, runLine(state, results, view)];
  // A warning may quote task text (an item that looks like a task): sanitized as any untrusted text.
  const warning = (w: string) => `> [!WARNING]\n> ${sanitizeMarkdown(w.replace(/\s+/g, ' '), 1_000)}`;
  if (state.warnings.length) fixed.push(state.warnings.map(warning).join('\n\n'));
  const timing = view.shards ? `${timingSection(state)}\n\n${shardTable(view.shards)}` : timingSection(state);
  // Past a few thousand agents the table alone would not fit; the rows that do are kept.
  const next = renderNextSteps(state, view.rerun);
  const tableBudget =
    SUMMARY_MAX_BYTES -
    Buffer.byteLength(fixed.join('\n\n')) -
    Buffer.byteLength(timing) -
    Buffer.byteLength(next) -
    1024;
  const merges = state.mergeCheck ? renderMergeCheck(state.mergeCheck) : '';
  const parts = [...fixed, agentTable(results, tableBudget - Buffer.byteLength(merges)), timing];
  if (merges) parts.push(merges);
  if (state.together) parts.push(renderTogether(state.together));
  const timeline = gantt(state, results);
  if (
    timeline &&
    Buffer.byteLength(parts.join('\n\n')) + Buffer.byteLength(timeline) + 1024 < SUMMARY_MAX_BYTES
  ) {
    parts.push(timeline);
  }
  const notes = notesSection(state.notes, state.startedAt, NOTES_MAX_BYTES);
  if (notes && Buffer.byteLength(parts.join('\n\n')) + Buffer.byteLength(notes) + 1024 < SUMMARY_MAX_BYTES) {
    parts.push(notes);
  }
  const used = Buffer.byteLength([...parts, next].join('\n\n')) + 4 + 1;
  const reports = agentReports(results, SUMMARY_MAX_BYTES - used);
  if (reports) parts.push(reports);
  if (next) parts.push(next);
  return `${parts.join('\n\n')}\n`;
}

/** Model, concurrency and where the tasks came from, in one line. */
function runLine(state: RunState, results: readonly AgentResult[], view: SummaryView): string {
  const facts = [
    `Model ${codeSpan(view.model) || '—'}`,
    `up to ${state.concurrency} ${state.concurrency === 1 ? 'agent' : 'agents'} at once`,
  ];
  if (state.source) facts.push(`tasks from ${escapeTableCell(state.source, 200)}`);
  if (view.repository) facts.push(escapeTableCell(view.repository, 200));
  const cost = runCostOf(state);
  facts.push(
    cost === null ? 'cost unknown (no price for a model; see `pricing`)' : `cost ${formatCost(cost)}`,
  );
  return facts.join(' · ');
}

interface Column {
  header: string;
  align: 'left' | 'right';
  cell: (result: AgentResult) => string;
}

/** The per-agent table, a column per fact; a column for cost belongs in this list once usage is priced. */
const COLUMNS: Column[] = [
  { header: 'Task', align: 'left', cell: (r) => `**${escapeTableCell(r.id, 40)}**` },
  { header: 'Title', align: 'left', cell: (r) => escapeTableCell(r.title, 120) || '—' },
  { header: 'Status', align: 'left', cell: (r) => verdictCell(r) },
  { header: 'Agent says', align: 'left', cell: (r) => outcomeCell(r) },
  { header: 'Verified', align: 'left', cell: (r) => verifyCell(r) },
  {
    header: 'Time',
    align: 'right',
    cell: (r) => (hasStarted(r) ? formatDuration(r.seconds) + setupSuffix(r) : '—'),
  },
  { header: 'Turns', align: 'right', cell: (r) => formatCount(r.turns) },
  { header: 'Tool calls', align: 'right', cell: (r) => formatCount(r.toolCalls) },
  { header: 'Tokens in / out / cached', align: 'right', cell: (r) => tokens(r) },
  { header: 'Cost', align: 'right', cell: (r) => formatCost(r.costUsd) },
  { header: 'Files changed', align: 'right', cell: (r) => filesChanged(r) },
  {
    header: 'Branch',
    align: 'left',
    cell: (r) =>
      r.commit ? escapeTableCell(codeSpan(r.branch), 200) + (r.notPushed ? ' (not pushed)' : '') : '—',
  },
  { header: 'PR', align: 'left', cell: (r) => pullRequestCell(r) },
];

/** The pull request's link, or, where GitHub refused to open it, the page that opens it by hand. */
export function pullRequestCell(r: Pick<AgentResult, 'pullRequest' | 'pullRequestNotOpened'>): string {
  const byHand = r.pullRequestNotOpened?.compareUrl;
  if (!r.pullRequest && byHand && /^https?:\/\/[^\s()<>|]+$/.test(byHand))
    return `⚠️ [open it by hand](${byHand})`;
  return pullRequestLink(r.pullRequest?.url);
}

/** `[#12](https://github.com/o/r/pull/12)`; only an http(s) URL is linked. */
function pullRequestLink(url: string | undefined): string {
  if (!url || !/^https?:\/\/[^\s()<>|]+$/.test(url)) return '—';
  const number = /\/pull\/(\d+)/.exec(url)?.[1];
  return `[${number ? `#${number}` : 'PR'}](${url})`;
}

/**
 * In counts every input token the model read (fresh, written to the cache, and read from it); cached is the part
 * read from the cache.
 */
function tokens({ usage }: AgentResult): string {
  const input = usage.input + usage.cacheWrite + usage.cacheRead;
  return `${formatCount(input)} / ${formatCount(usage.output)} / ${formatCount(usage.cacheRead)}`;
}

/** `$0.42`; below a cent, `$0.0031`; an unknown price is said to be unknown, never shown as $0. */
export function formatCost(usd: number | null): string {
  if (usd === null) return 'unknown';
  return usd > 0 && usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

function filesChanged(r: AgentResult): string {
  if (r.filesChanged.length === 0) return '0';
  return `${formatCount(r.filesChanged.length)} (+${formatCount(r.insertions)} −${formatCount(r.deletions)})`;
}

function agentTable(results: readonly AgentResult[], maxBytes: number): string {
  // `Verified` only for a run with `setup` or `verify`; `Agent says` only where an agent gave its outcome.
  const columns = COLUMNS.filter(
    (c) =>
      (c.header !== 'Verified' || anyChecked(results)) && (c.header !== 'Agent says' || anyReported(results)),
  );
  const lines = [
    `| ${columns.map((c) => c.header).join(' | ')} |`,
    `| ${columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`,
  ];
  let bytes = Buffer.byteLength(lines.join('\n'));
  for (const [i, result] of results.entries()) {
    const row = `| ${columns.map((c) => c.cell(result)).join(' | ')} |`;
    // Room is kept for the line saying how many rows were left out.
    if (bytes + Buffer.byteLength(row) + 200 > maxBytes) {
      const left = results.length - i;
      return `${lines.join('\n')}\n\n_${formatCount(left)} more ${left === 1 ? 'agent' : 'agents'} not shown: the summary is limited to 1 MiB._`;
    }
    lines.push(row);
    bytes += Buffer.byteLength(row) + 1;
  }
  return lines.join('\n');
}

const IDEAL_MEANING: Record<IdealBound, (concurrency: number) => string> = {
  'critical-path': () => 'lower bound: the longest chain of dependent tasks',
  'longest-agent': () => 'lower bound: the longest agent, as the tasks are independent',
  concurrency: (n) => `lower bound: all agent time spread over ${n} ${n === 1 ? 'slot' : 'slots'}`,
};

/**
 * The timing of an ended run, the same in the summary and the comment: the headline line, then every figure behind
 * it folded away.
 */
export function timingSection(state: RunState): string {
  const table = timingTable(timingOf(state));
  return `${timingHeadline(state)}\n\n<details><summary>Timing</summary>\n\n${table}\n\n</details>`;
}

/**
 * `⏱️ 14.0 s instead of 23.0 s one after another: 1.64× · $0.03`: the wall time against the agents' time end to end,
 * and the cost, from the run's one timing (`timingOf`) and cost (`runCostOf`).
 */
function timingHeadline(state: RunState): string {
  const timing = timingOf(state);
  const cost = runCostOf(state);
  const spent = cost === null ? 'cost unknown' : formatCost(cost);
  if (timing.agents === 0) return `⏱️ No agent ran · ${spent}`;
  const wall = formatDuration(timing.wallSeconds);
  if (timing.agents === 1 || timing.speedup === null)
    return `⏱️ ${wall}, ${formatCount(timing.agents)} ${timing.agents === 1 ? 'agent' : 'agents'} · ${spent}`;
  const speedup = `${timing.speedup.toFixed(2)}×`;
  return `⏱️ ${wall} instead of ${formatDuration(timing.sequentialSeconds)} one after another: ${speedup} · ${spent}`;
}

/** Every timing figure with what it means. */
function timingTable(timing: Timing): string {
  const speedup = timing.speedup === null ? '—' : `${timing.speedup.toFixed(2)}×`;
  const efficiency = timing.efficiency === null ? '—' : `${Math.round(timing.efficiency * 100)} %`;
  return [
    '| | | |',
    '| --- | ---: | --- |',
    `| Sequential | ${formatDuration(timing.sequentialSeconds)} | sum of agent times: one after another at the same speed |`,
    `| Parallel wall | ${formatDuration(timing.wallSeconds)} | first agent start to last agent end |`,
    `| **Speedup** | **${speedup}** | sequential ÷ wall |`,
    `| Ideal | ${formatDuration(timing.idealSeconds)} | ${IDEAL_MEANING[timing.idealBound](timing.concurrency)} |`,
    `| Parallel efficiency | ${efficiency} | ideal ÷ wall: 100 % means no schedule could have finished sooner |`,
    ...modelRows(timing),
  ].join('\n');
}

/** The bound from the model's own time and the overhead above it, when the results say what the model took. */
function modelRows(timing: Timing): string[] {
  const model = timing.model;
  if (!model) return [];
  const share =
    timing.wallSeconds > 0
      ? ` (${Math.round((model.overheadSeconds / timing.wallSeconds) * 100)} % of wall)`
      : '';
  const agents = [...model.agents].sort((a, b) => a.overheadSeconds - b.overheadSeconds);
  const median = agents[(agents.length - 1) >> 1];
  const most = agents.at(-1);
  const rows = [
    `| Ideal, model only | ${formatDuration(model.idealSeconds)} | ${IDEAL_MEANING[model.bound](timing.concurrency)}, counting only each agent's time waiting for the model |`,
    `| Overhead | ${formatShort(model.overheadSeconds)}${share} | wall − model-only ideal: worktrees, git, tools, waiting for the warm-up or a slot |`,
  ];
  if (median && most) {
    rows.push(
      `| Overhead per agent | median ${formatShort(median.overheadSeconds)} · max ${formatShort(most.overheadSeconds)} (${escapeTableCell(most.id, 40)}) | agent time − its model time |`,
    );
  }
  return rows;
}

/** Under a second in milliseconds, where overheads live; longer as {@link formatDuration}. */
function formatShort(seconds: number): string {
  return Math.abs(seconds) < 1 ? `${Math.round(seconds * 1000)} ms` : formatDuration(seconds);
}

/** A fan-out's runners: each shard's tasks, how long after the first it began, and its own wall time. */
function shardTable(shards: readonly ShardReport[]): string {
  const rows = shards.map(
    (s) =>
      `| ${escapeTableCell(s.shard, 10)} | ${s.tasks} | ${formatDuration(s.queueSeconds)} | ${formatDuration(s.wallSeconds)} | ${s.concurrency} |`,
  );
  return [
    `### Runners: ${shards.length}`,
    '',
    '| Shard | Tasks | Started after the first | Wall | Agents at once |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/**
 * One bar per agent that started, at its real start and end (epoch milliseconds, `dateFormat x`), so the axis
 * shows the reader's clock time. Agents that did not succeed are marked `crit`. Before an agent's bar, a grey bar of
 * its own for each stretch it waited and why: for a dependency, for a task on the same files, for a free slot.
 */
function gantt(state: RunState, results: readonly AgentResult[]): string {
  const ran = results.filter(hasStarted);
  if (ran.length === 0) return '';
  // A wait shorter than this is not worth a row.
  const shortest = Math.max(1, ((state.endedAt ?? 0) - (state.startedAt ?? 0)) * 0.005);
  const bars = ran.flatMap((r) => {
    const waits = waitSegments(state, r.id)
      .filter((w) => w.why !== 'starting' && w.to - w.from >= shortest)
      .map(
        (w) =>
          `    ${mermaidName(`${r.id} ${waitName(w)}`)} : done, ${Math.round(w.from)}, ${Math.round(w.to)}`,
      );
    // A bar of zero length is not drawn; every agent that ran gets at least a sliver.
    const end = Math.max(r.endedAt, r.startedAt + 1);
    const tag = verdictOf(r) === 'succeeded' ? '' : 'crit, ';
    return [...waits, `    ${mermaidName(r.id)} : ${tag}${Math.round(r.startedAt)}, ${Math.round(end)}`];
  });
  return [
    '### Timeline',
    '',
    '```mermaid',
    'gantt',
    '    dateFormat x',
    '    axisFormat %H:%M:%S',
    '    todayMarker off',
    ...bars,
    '```',
  ].join('\n');
}

/** `waits for BAC-1`, `waits for BAC-12 same files`, `waits for a free slot`: words Mermaid takes in a name. */
function waitName(wait: WaitSegment): string {
  if (wait.why === 'slot') return 'waits for a free slot';
  const on = wait.on.slice(0, 3).join(' and ') + (wait.on.length > 3 ? ' and more' : '');
  return `waits for ${on}${wait.why === 'overlap' ? ' same files' : ''}`;
}

/** Mermaid ends a task name at `:` and reads `#` and `;` as syntax; ids need none of them. */
function mermaidName(id: string): string {
  return id.replace(/[^\w .-]/g, '_').slice(0, 60) || 'task';
}

/** Bytes the agents' notes to each other may take, at most: the reports matter more. */
const NOTES_MAX_BYTES = 64 * 1024;

/**
 * What the agents told each other, one line per note in the order posted: who, when (from the run's start), the
 * topic and the text, each sanitized; the newest are left out past `maxBytes`, with a line saying how many.
 */
function notesSection(notes: readonly RunNote[], startedAt: number | null, maxBytes: number): string {
  if (notes.length === 0) return '';
  const heading = '### What the agents told each other';
  const lines: string[] = [];
  let bytes = Buffer.byteLength(heading) + 200;
  for (const note of notes) {
    const when = startedAt === null ? '' : ` · +${formatDuration(Math.max(0, note.at - startedAt) / 1000)}`;
    const line = `- **${escapeTableCell(note.task, 40)}**${when} · _${escapeTableCell(note.topic, 80)}_: ${escapeTableCell(note.text, 1_000)}`;
    if (bytes + Buffer.byteLength(line) + 1 > maxBytes) break;
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  const left = notes.length - lines.length;
  if (left) lines.push(`- _${formatCount(left)} more ${left === 1 ? 'note' : 'notes'} not shown._`);
  return `${heading}\n\n${lines.join('\n')}`;
}

/** Bytes an error may take in its agent's block, at most. */
const ERROR_MAX_BYTES = 4096;
/** A report block smaller than this is left out rather than shown as a stub. */
const MIN_BLOCK_BYTES = 400;

/**
 * Every agent's report under its own `<details>`. The budget is shared out smallest first, so short reports are
 * shown whole and what they leave goes to the long ones.
 */
function agentReports(results: readonly AgentResult[], maxBytes: number): string {
  if (results.length === 0) return '';
  const heading = '### Reports';
  const note = (n: number) =>
    `_The reports of ${formatCount(n)} ${n === 1 ? 'agent are' : 'agents are'} left out: the summary is limited to 1 MiB._`;
  let available = maxBytes - Buffer.byteLength(heading) - Buffer.byteLength(note(results.length)) - 4;
  if (available < 0) return '';
  const order = results
    .map((r, i) => ({ i, size: r.report.length + (r.error?.length ?? 0) }))
    .sort((a, b) => a.size - b.size);
  const blocks: string[] = new Array<string>(results.length).fill('');
  for (const [k, { i }] of order.entries()) {
    const result = results[i];
    if (!result) continue;
    const share = Math.floor(available / (order.length - k)) - 2;
    const block = share >= MIN_BLOCK_BYTES ? detailsBlock(result, share) : '';
    blocks[i] = block;
    if (block) available -= Buffer.byteLength(block) + 2;
  }
  const shown = blocks.filter(Boolean);
  const omitted = results.length - shown.length;
  if (shown.length === 0 && omitted > 0) return [heading, note(omitted)].join('\n\n');
  return [heading, ...shown, ...(omitted ? [note(omitted)] : [])].join('\n\n');
}

/** `<details><summary>BAC-124 — Fix routing (❌ failed)</summary>`, the error, then the report; within `maxBytes`. */
function detailsBlock(r: AgentResult, maxBytes: number): string {
  const { icon, label } = statusDisplay(verdictOf(r));
  const title = r.title ? ` — ${escapeHtml(r.title, 150)}` : '';
  const open = `<details><summary>${escapeHtml(r.id, 40)}${title} (${icon} ${label})</summary>`;
  const close = '</details>';
  // Blank lines around the body let GitHub read it as Markdown and end anything it left open before `</details>`.
  let room = maxBytes - Buffer.byteLength(open) - Buffer.byteLength(close) - 4;
  const body: string[] = [];
  if (r.error) {
    const lead = '**Error:**';
    const errorRoom =
      Math.min(ERROR_MAX_BYTES, r.report ? Math.floor(room / 2) : room) - Buffer.byteLength(lead) - 2;
    const error = fitBytes((chars) => codeBlock(r.error ?? '', chars), errorRoom);
    if (error) {
      body.push(lead, error);
      room -= Buffer.byteLength(lead) + Buffer.byteLength(error) + 4;
    }
  }
  const kept = workNotes(r);
  if (kept && Buffer.byteLength(kept) + 2 <= room / 2) {
    body.push(kept);
    room -= Buffer.byteLength(kept) + 2;
  }
  const empty = '_No report._';
  const report = r.report.trim() ? fitBytes((chars) => sanitizeMarkdown(r.report, chars), room) : '';
  body.push(report || empty);
  const block = [open, ...body, close].join('\n\n');
  return Buffer.byteLength(block) <= maxBytes ? block : '';
}

/** Files left out of the commit, at most this many by name. */
const SKIPPED_SHOWN = 10;

/** Where the agent's work did not fully land: files left out of its commit, a branch that was not pushed. */
function workNotes(r: AgentResult): string {
  const lines: string[] = [];
  const failedCheck = verifyNotes(r);
  if (failedCheck) lines.push(failedCheck, '');
  if (r.notPushed) lines.push(`**Branch:** ${escapeHtml(r.notPushed, 300)}`);
  const skipped = r.skipped ?? [];
  if (skipped.length > 0) {
    lines.push(`**Left out of the commit** (the rest of the work is on the branch):`);
    for (const file of skipped.slice(0, SKIPPED_SHOWN)) {
      lines.push(`- ${codeSpan(file.path.slice(0, 200))}: ${escapeHtml(file.reason, 300)}`);
    }
    if (skipped.length > SKIPPED_SHOWN)
      lines.push(`- and ${formatCount(skipped.length - SKIPPED_SHOWN)} more`);
  }
  return lines.join('\n');
}

/**
 * The longest rendering that fits in `maxBytes` of UTF-8. `render` limits UTF-16 code units, which take one to
 * three bytes each, so the limit is narrowed until the bytes fit.
 */
function fitBytes(render: (maxChars: number) => string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  let chars = maxBytes;
  for (;;) {
    const out = render(chars);
    const bytes = Buffer.byteLength(out);
    if (bytes <= maxBytes) return out;
    if (chars <= 1) return '';
    chars = Math.max(1, Math.min(chars - 1, Math.floor((chars * maxBytes) / bytes)));
  }
}
