import type { AgentResult } from '../agents/result.js';
import { STATUS_ICON, formatCount, formatDuration } from './format.js';
import { escapeTableCell, sanitizeMarkdown } from './sanitize.js';
import type { Timing } from './timing.js';

/** What the job summary is made from. */
export interface RunReport {
  results: AgentResult[];
  timing: Timing;
  concurrency: number;
  model: string;
  /** Where the tasks came from, e.g. "input `tasks`". */
  tasksSource: string;
}

/** GitHub refuses a step summary over 1 MiB; the agents' reports share what the rest leaves. */
const SUMMARY_LIMIT = 1024 * 1024;
const REPORTS_BUDGET = SUMMARY_LIMIT - 160 * 1024;

/** The job summary: header, one row per agent, the timing comparison, a timeline, and every agent's report. */
export function renderSummary(run: RunReport): string {
  const parts = [
    header(run),
    agentTable(run.results),
    timingTable(run),
    gantt(run.results),
    reports(run.results),
  ];
  return parts.filter(Boolean).join('\n\n') + '\n';
}

function header({ results, model, concurrency, tasksSource }: RunReport): string {
  const succeeded = results.filter((r) => r.status === 'succeeded').length;
  const icon = succeeded === results.length ? '✅' : succeeded === 0 ? '❌' : '⚠️';
  return [
    `## ${icon} parallel-agents: ${succeeded} of ${results.length} tasks succeeded`,
    '',
    `${results.length} agents on \`${model}\`, at most ${concurrency} at once; tasks from ${tasksSource}.`,
  ].join('\n');
}

function agentTable(results: AgentResult[]): string {
  const rows = results.map((r) =>
    [
      `**${r.id}**`,
      escapeTableCell(r.title || '—'),
      `${STATUS_ICON[r.status]} ${r.status}`,
      formatDuration(r.seconds),
      String(r.turns),
      String(r.toolCalls),
      `${formatCount(r.usage.input + r.usage.cacheWrite + r.usage.cacheRead)} / ${formatCount(r.usage.output)} / ${formatCount(r.usage.cacheRead)}`,
      r.filesChanged.length ? `${r.filesChanged.length} (+${r.insertions} −${r.deletions})` : '0',
      r.branch && r.commit ? `\`${r.branch}\`` : '—',
    ].join(' | '),
  );
  return [
    '| task | title | status | time | turns | tool calls | tokens in / out / cached | files changed | branch |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

function timingTable({ timing, concurrency }: RunReport): string {
  const speedup = timing.speedup === null ? '—' : `${timing.speedup.toFixed(2)}×`;
  const efficiency = timing.efficiency === null ? '—' : `${Math.round(timing.efficiency * 100)} %`;
  return [
    '### Timing',
    '',
    '| | | |',
    '| --- | ---: | --- |',
    `| sequential | ${formatDuration(timing.sequentialSeconds)} | sum of every agent's own time: one after another |`,
    `| parallel wall | ${formatDuration(timing.wallSeconds)} | first agent start to last agent end |`,
    `| **speedup** | **${speedup}** | sequential / wall |`,
    `| ideal | ${formatDuration(timing.idealSeconds)} | lower bound: the longest agent, or all the work spread over ${concurrency} slots |`,
    `| efficiency | ${efficiency} | ideal / wall |`,
  ].join('\n');
}

/** A Mermaid gantt chart, one bar per agent, in seconds from the run's start. */
function gantt(results: AgentResult[]): string {
  const ran = results.filter((r) => r.startedAt > 0);
  if (!ran.length) return '';
  const origin = Math.min(...ran.map((r) => r.startedAt));
  const bars = ran.map((r) => {
    const start = Math.floor((r.startedAt - origin) / 1000);
    // A bar of zero length disappears; every agent gets at least a sliver.
    const end = Math.max(start + 1, Math.ceil((r.endedAt - origin) / 1000));
    const tag = r.status === 'succeeded' ? 'done' : 'crit';
    return `    ${r.id} (${r.status}) : ${tag}, ${start}, ${end}`;
  });
  return [
    '### Timeline',
    '',
    '```mermaid',
    'gantt',
    '    dateFormat X',
    '    axisFormat %M:%S',
    '    section agents',
    ...bars,
    '```',
  ].join('\n');
}

function reports(results: AgentResult[]): string {
  if (!results.length) return '';
  const each = Math.floor(REPORTS_BUDGET / results.length) - 600;
  const blocks = results.map((r) => {
    const title = r.title ? ` — ${escapeTableCell(r.title, 120)}` : '';
    const body = [
      r.error ? `**${r.status}:** ${escapeTableCell(r.error, 1000)}` : '',
      r.report ? sanitizeMarkdown(r.report, Math.max(200, each)) : '_No report._',
      r.filesChanged.length
        ? `Files: ${r.filesChanged.map((f) => `\`${escapeTableCell(f, 200)}\``).join(', ')}`
        : '',
    ].filter(Boolean);
    return [
      '<details>',
      `<summary>${STATUS_ICON[r.status]} <b>${r.id}</b>${title} (${r.status}, ${formatDuration(r.seconds)})</summary>`,
      '',
      ...body.flatMap((b) => [b, '']),
      '</details>',
    ].join('\n');
  });
  return ['### Reports', '', ...blocks].join('\n');
}
