import type { AgentEvent } from '../events.js';
import { toneOf, type AgentView } from './page-agents.js';
import { count, line, num, oneLineInput, safeHref, text } from './page-html.js';
import { formatDuration } from './timing.js';
import { statusDisplay } from './verdict.js';

/** How much of one agent's story its section holds. */
interface StepBudget {
  /** Steps listed; past it the first and the last are kept, with a line saying how many are left out. */
  steps: number;
  /** Characters of the final report. */
  reportChars: number;
  /** Files changed listed by name. */
  files: number;
}

/** Characters of one step's text: a tool's input, the first line a turn said, an error. */
const STEP_CHARS = 240;
/** Steps kept from the end when the list is cut: how the agent finished matters as much as how it began. */
const TAIL_STEPS = 10;
/** The least a section is cut down to, however little room it has. */
const FLOOR: StepBudget = { steps: 4, reportChars: 200, files: 5 };
/** Bytes a step may take at most: its text escaped (`"` becomes six bytes) with its markup. */
const STEP_BYTES = STEP_CHARS * 6 + 200;

/**
 * An agent's section, folded: its error, files, every step (turns, tool calls, checks, retries) and its report, in
 * at most about `maxBytes`. What does not fit is cut, each cut saying how much it left out: the steps' middle, the
 * report's end, the files past the first few.
 */
export function renderAgentSection(agent: AgentView, maxBytes: number): string {
  let budget: StepBudget = {
    steps: Math.min(200, Math.max(FLOOR.steps, Math.floor(maxBytes / 2 / STEP_BYTES))),
    reportChars: Math.min(64_000, Math.max(FLOOR.reportChars, Math.floor(maxBytes / 4))),
    files: 50,
  };
  for (;;) {
    const html = sectionHtml(agent, budget);
    const smallest = Object.entries(FLOOR).every(([k, v]) => budget[k as keyof StepBudget] <= v);
    if (smallest || Buffer.byteLength(html) <= maxBytes) return html;
    budget = {
      steps: Math.max(FLOOR.steps, budget.steps >> 1),
      reportChars: Math.max(FLOOR.reportChars, budget.reportChars >> 1),
      files: Math.max(FLOOR.files, budget.files >> 1),
    };
  }
}

function sectionHtml(agent: AgentView, budget: StepBudget): string {
  const status = agent.result ? statusDisplay(agent.status).label : agent.status;
  const title = agent.title ? ` — ${line(agent.title, 150)}` : '';
  const r = agent.result;
  const body: string[] = [];
  if (r?.error) body.push(`<p class="bad-text">${line(r.error, 600)}</p>`);
  if (r && Array.isArray(r.filesChanged) && r.filesChanged.length > 0)
    body.push(files(r.filesChanged, budget.files));
  body.push(steps(agent.events, agent.startedAt, budget.steps));
  body.push('<h4>Report</h4>');
  body.push(
    typeof r?.report === 'string' && /\S/.test(r.report.slice(0, 10_000))
      ? `<pre class="report">${text(r.report, budget.reportChars)}</pre>`
      : '<p class="muted">No report.</p>',
  );
  return [
    `<details id="${agent.anchor}" class="agent">`,
    `<summary><span class="dot ${toneOf(agent.status)}"></span><strong>${line(agent.id, 60)}</strong>${title} <span class="muted">(${text(status, 60)})</span></summary>`,
    ...body,
    '</details>',
  ].join('\n');
}

function files(list: readonly string[], max: number): string {
  const shown = list.slice(0, max).map((f) => `<li><code>${line(f, 300)}</code></li>`);
  if (list.length > max) shown.push(`<li class="muted">… ${count(list.length - max)} more</li>`);
  return `<h4>Files changed</h4><ul class="files">${shown.join('')}</ul>`;
}

function steps(events: readonly AgentEvent[], startedAt: number | null, max: number): string {
  // A stand-in progress line repeats the tool call before it.
  const shown = events.filter(
    (e) =>
      e.type !== 'usage' &&
      !(e.type === 'tool-result' && !e.isError) &&
      !(e.type === 'progress' && !e.reported),
  );
  if (shown.length === 0) return '<p class="muted">No steps recorded.</p>';
  const zero = startedAt ?? shown[0]?.at ?? 0;
  const item = (e: AgentEvent) =>
    `<li><span class="at">+${text(formatDuration((e.at - zero) / 1000))}</span> ${stepOf(e)}</li>`;
  if (shown.length <= max) return `<h4>Steps</h4><ol class="steps">${shown.map(item).join('\n')}</ol>`;
  const head = Math.max(1, max - TAIL_STEPS);
  const tail = Math.max(0, Math.min(TAIL_STEPS, max - head));
  const items = [
    ...shown.slice(0, head).map(item),
    `<li class="muted">… ${count(shown.length - head - tail)} more steps</li>`,
    ...shown.slice(shown.length - tail).map(item),
  ];
  return `<h4>Steps</h4><ol class="steps">${items.join('\n')}</ol>`;
}

/** One step in a line: what kind it is, then what it did. */
function stepOf(e: AgentEvent): string {
  switch (e.type) {
    case 'started':
      return `<b>started</b> on <code>${line(e.branch, 200)}</code> with ${line(e.model, 80)}`;
    case 'turn': {
      const said = line(e.text, STEP_CHARS);
      return `<b>turn ${count(e.turn)}</b> <span class="muted">${line(e.stopReason ?? '', 40)}</span>${said ? ` ${said}` : ''}`;
    }
    case 'tool-call':
      return `<b>${line(e.tool, 40)}</b> <code>${line(oneLineInput(e.input), STEP_CHARS)}</code>`;
    case 'tool-result':
      return `<span class="bad-text">↳ ${line(e.tool, 40)} failed:</span> ${line(e.output, STEP_CHARS)}`;
    case 'progress':
      return `<b>progress</b> ${e.percent === null ? '' : `${count(e.percent)} % `}${line(e.doing, STEP_CHARS)}`;
    case 'note':
      return `<b>note for the others</b> <em>${line(e.topic, 80)}</em>: ${line(e.text, STEP_CHARS)}`;
    case 'retry':
      return `<b>retry</b> ${count(e.attempt)}: ${line(e.reason, STEP_CHARS)}`;
    case 'check': {
      const code =
        e.run.exitCode === null
          ? line(e.run.error ?? 'did not finish', 200)
          : `exit ${count(e.run.exitCode)}`;
      const fixUp = e.fixUp ? `; fix-up round ${count(e.fixUp)} follows` : '';
      return `<b>${e.check === 'setup' ? 'setup' : 'verify'} ${count(e.attempt)}</b> <code>${line(e.run.command, 200)}</code>: ${code} in ${text(formatDuration(num(e.run.seconds)))}${fixUp}`;
    }
    case 'ended':
      return `<b>ended</b> ${line(e.result.status, 40)}`;
    case 'pull-request':
      return `<b>pull request</b> ${link(e.pullRequest.url, `#${count(e.pullRequest.number)}`)} ${e.created ? 'opened' : 'updated'}`;
    case 'pull-request-not-opened':
      return `<b>pull request not opened</b>: ${line(e.notOpened.reason, STEP_CHARS)}`;
    default:
      return '';
  }
}

/** A link when `url` is http(s); the label alone otherwise. `label` is already HTML. */
export function link(url: unknown, label: string): string {
  const href = safeHref(url);
  return href ? `<a href="${href}" rel="noreferrer noopener">${label}</a>` : label;
}
