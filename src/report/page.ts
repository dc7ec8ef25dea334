import type { RunEvent } from '../events.js';
import { PRICES, type PriceTable } from '../model/pricing.js';
import { initialRunState, runCostOf, runReducer, shapeOf, timingOf, type RunState } from '../run-state.js';
import type { Plan } from '../tasks/plan.js';
import { agentViews, toneOf, type AgentView } from './page-agents.js';
import { asOneRun, eventsByTask } from './page-events.js';
import { count, line, num, text } from './page-html.js';
import { renderPlanSection } from './page-plan.js';
import { PAGE_STYLE } from './page-style.js';
import { link, renderAgentSection } from './page-steps.js';
import { renderTimeline } from './page-timeline.js';
import { formatCost } from './summary.js';
import { formatDuration } from './timing.js';
import { runHeadline, statusDisplay } from './verdict.js';

export interface RunPageInput {
  /** The run's events as the audit log holds them; the logs of a fan-out's shards may simply be concatenated. */
  events: readonly RunEvent[];
  /** The run's plan: its levels and stacks are shown. Without it, the waits the events carry. */
  plan?: Plan;
  /** Prices for the reducer's running spend; the built-in table by default. Results carry their own cost. */
  prices?: PriceTable;
  /** `owner/name`, shown under the headline. */
  repository?: string;
}

/** Agents shown, at most: past it a line says how many more the run had. */
const MAX_AGENTS = 1_000;
/** Bytes shared out between the agents' sections (steps, files, report), and what each gets at least and at most. */
const SECTIONS_BYTES = 4_000_000;
const SECTION_BYTES = { min: 4_000, max: 400_000 };
const WARNINGS_SHOWN = 100;
/** Notes shown, at most (ten per agent for a hundred agents). */
const NOTES_SHOWN = 1_000;

/**
 * The whole run as one self-contained HTML page: headline and timing, the table of agents, a timeline drawn from
 * the events, each agent's steps and report folded, the plan and the warnings. No script, no request: a content
 * security policy forbids both, so the page opens offline and agent text can do nothing but be read. Every figure
 * comes from the same reducer as the job summary's; every string from a task or an agent is escaped and cut, and
 * the agents' sections share a fixed byte budget, so even a thousand agents' page stays near ten megabytes.
 */
export function renderRunPage(input: RunPageInput): string {
  const plan = input.plan;
  const events = asOneRun(input.events, plan ? shapeOf(plan) : undefined);
  const state = events.reduce(runReducer(input.prices ?? PRICES), initialRunState());
  const agents = agentViews(state, eventsByTask(events), MAX_AGENTS);
  const hidden = state.tasks.length - agents.length;
  const moreAgents = hidden > 0 ? `<p class="muted">… ${count(hidden)} more agents not shown.</p>` : '';
  const sectionBytes = clamp(Math.floor(SECTIONS_BYTES / Math.max(1, agents.length)), SECTION_BYTES);
  const headline = runHeadline(state).replace(/`/g, '');
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${line(headline, 200)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head><body><main>',
    `<h1>${line(headline, 300)}</h1>`,
    runLine(state, input.repository),
    figures(state),
    section('Agents', agentTable(agents) + moreAgents),
    section('Timeline', `<div class="scroll">${renderTimeline(agents, state)}</div>${legend()}`),
    section(
      'Steps and reports',
      agents.map((a) => renderAgentSection(a, sectionBytes)).join('\n') + moreAgents,
    ),
    notes(state),
    section('Plan', renderPlanSection(plan, state.shape)),
    warnings(state),
    '</main></body></html>',
    '',
  ].join('\n');
}

function section(title: string, body: string): string {
  return `<section><h2>${text(title)}</h2>\n${body}\n</section>`;
}

function runLine(state: RunState, repository: string | undefined): string {
  const facts = [`up to ${count(state.concurrency)} ${state.concurrency === 1 ? 'agent' : 'agents'} at once`];
  if (state.source) facts.push(`tasks from ${line(state.source, 200)}`);
  if (repository) facts.push(line(repository, 200));
  if (state.startedAt) facts.push(`started ${text(new Date(state.startedAt).toISOString())}`);
  if (state.throttles)
    facts.push(`throttled ${count(state.throttles)} ${state.throttles === 1 ? 'time' : 'times'}`);
  if (state.endedAt === null) facts.push('<strong>not ended</strong>');
  return `<p class="muted">${facts.join(' · ')}</p>`;
}

/** The headline figures: sequential against wall, the speedup, the ideal and the cost. */
function figures(state: RunState): string {
  const timing = timingOf(state);
  const cost = runCostOf(state);
  const cards: [string, string, string][] = [
    ['Sequential', formatDuration(timing.sequentialSeconds), 'sum of agent times'],
    ['Parallel wall', formatDuration(timing.wallSeconds), 'first start to last end'],
    ['Speedup', timing.speedup === null ? '—' : `${timing.speedup.toFixed(2)}×`, 'sequential ÷ wall'],
    ['Ideal', formatDuration(timing.idealSeconds), 'lower bound on wall'],
    [
      'Efficiency',
      timing.efficiency === null ? '—' : `${Math.round(timing.efficiency * 100)} %`,
      'ideal ÷ wall',
    ],
    ['Cost', formatCost(cost), cost === null ? 'a model has no known price' : 'from the usage reported'],
  ];
  const html = cards.map(
    ([name, value, note]) =>
      `<div class="card"><div class="muted">${text(name)}</div><div class="figure">${text(value)}</div><div class="muted small">${text(note)}</div></div>`,
  );
  return `<div class="cards">${html.join('')}</div>`;
}

function agentTable(agents: readonly AgentView[]): string {
  // Each heading, and whether its column holds figures (aligned right).
  const head: [string, boolean][] = [
    ['Task', false],
    ['Title', false],
    ['Status', false],
    ['Time', true],
    ['Turns', true],
    ['Tool calls', true],
    ['Tokens in / out / cached', true],
    ['Cost', true],
    ['Files changed', true],
    ['PR', false],
  ];
  const th = head.map(([h, numeric]) => `<th${numeric ? ' class="num"' : ''}>${text(h)}</th>`).join('');
  return `<table class="agents"><thead><tr>${th}</tr></thead><tbody>\n${agents.map(agentRow).join('\n')}\n</tbody></table>`;
}

function agentRow(agent: AgentView): string {
  const r = agent.result;
  const status = r ? statusDisplay(agent.status).label : agent.status;
  const u = r?.usage;
  const tokens = u
    ? `${count(num(u.input) + num(u.cacheWrite) + num(u.cacheRead))} / ${count(u.output)} / ${count(u.cacheRead)}`
    : '—';
  const cells = [
    `<td><a href="#${agent.anchor}"><strong>${line(agent.id, 40)}</strong></a></td>`,
    `<td>${line(agent.title, 120) || '—'}</td>`,
    `<td><span class="dot ${toneOf(agent.status)}"></span>${text(status, 60)}</td>`,
    `<td class="num">${r && agent.startedAt !== null ? text(formatDuration(num(r.seconds))) : '—'}</td>`,
    `<td class="num">${r ? count(r.turns) : '—'}</td>`,
    `<td class="num">${r ? count(r.toolCalls) : '—'}</td>`,
    `<td class="num">${tokens}</td>`,
    `<td class="num">${r ? text(formatCost(typeof r.costUsd === 'number' ? r.costUsd : null)) : '—'}</td>`,
    `<td class="num">${r ? filesCell(r.filesChanged, r.insertions, r.deletions) : '—'}</td>`,
    `<td>${r?.pullRequest ? link(r.pullRequest.url, `#${count(r.pullRequest.number)}`) : '—'}</td>`,
  ];
  return `<tr>${cells.join('')}</tr>`;
}

function filesCell(files: readonly string[], insertions: number, deletions: number): string {
  if (!Array.isArray(files) || files.length === 0) return '0';
  return `${count(files.length)} <span class="muted">(+${count(insertions)} −${count(deletions)})</span>`;
}

function legend(): string {
  const items = [
    ['ok', 'succeeded'],
    ['warn', 'partial, limit reached'],
    ['bad', 'failed'],
    ['idle', 'skipped, cancelled'],
    ['run', 'running'],
  ].map(([tone, words]) => `<span><span class="dot ${tone}"></span>${text(words)}</span>`);
  const waits = [
    ['dep', 'waiting for a dependency'],
    ['overlap', 'waiting for a task on the same files'],
    ['slot', 'waiting for a free slot'],
    ['wait', 'getting started'],
  ].map(([kind, words]) => `<span><span class="swatch ${kind}"></span>${text(words)}</span>`);
  return `<p class="legend">${items.join('')}${waits.join('')}<span><span class="swatch tick"></span>tool call</span></p>`;
}

/** What the agents told each other, in the order they posted it: who, when, the topic and the text. */
function notes(state: RunState): string {
  if (state.notes.length === 0) return '';
  const zero = state.startedAt ?? 0;
  const items = state.notes.slice(0, NOTES_SHOWN).map((n) => {
    const at = text(formatDuration(Math.max(0, num(n.at) - zero) / 1000));
    return `<li><strong>${line(n.task, 40)}</strong> <span class="muted">+${at}</span> <em>${line(n.topic, 80)}</em>: ${line(n.text, 1_000)}</li>`;
  });
  if (state.notes.length > NOTES_SHOWN)
    items.push(`<li class="muted">… ${count(state.notes.length - NOTES_SHOWN)} more</li>`);
  return section('What the agents told each other', `<ul class="notes">${items.join('\n')}</ul>`);
}

/** The run's warnings, why it stopped early, and what the merge checks found. */
function warnings(state: RunState): string {
  const lines = state.warnings.slice(0, WARNINGS_SHOWN).map((w) => line(w, 1_000));
  if (state.warnings.length > WARNINGS_SHOWN)
    lines.push(`… ${count(state.warnings.length - WARNINGS_SHOWN)} more`);
  if (state.stopping)
    lines.unshift(
      `The run stopped early (${line(state.stopping.reason, 20)}): ${line(state.stopping.detail, 1_000)}`,
    );
  for (const c of state.mergeCheck?.conflicts.slice(0, WARNINGS_SHOWN) ?? []) {
    const [a, b] = Array.isArray(c.tasks) ? c.tasks : [];
    const files = Array.isArray(c.files) ? c.files.join(', ') : '';
    lines.push(`${line(a, 40)} and ${line(b, 40)} do not merge cleanly: ${line(files, 500)}`);
  }
  if (state.together?.passed === false)
    lines.push('The verified branches merged together fail <code>verify</code>.');
  if (lines.length === 0) return '';
  return section('Warnings', `<ul class="warnings">${lines.map((l) => `<li>${l}</li>`).join('\n')}</ul>`);
}

function clamp(n: number, { min, max }: { min: number; max: number }): number {
  return Math.min(max, Math.max(min, n));
}
