import { waitSegments, type RunState, type WaitSegment } from '../run-state.js';
import { toneOf, type AgentView } from './page-agents.js';
import { line, text } from './page-html.js';
import { formatDuration } from './timing.js';

const LABEL_WIDTH = 170;
const PLOT_WIDTH = 920;
/** Room on the right for the last axis label. */
const RIGHT_PAD = 40;
const ROW_HEIGHT = 22;
const AXIS_HEIGHT = 26;
/** Ticks closer than this many pixels are drawn once: a bar holds at most a few hundred, however many calls. */
const TICK_PIXELS = 2;

/**
 * The run as inline SVG: a bar per agent from its start to its end, the wait before it as segments that say why (what
 * it depends on or stacks on, getting started, a free slot), and a tick at each tool call. Each bar links to its
 * agent's section and says its figures on hover.
 */
export function renderTimeline(agents: readonly AgentView[], state: RunState): string {
  const started = agents.filter((a) => a.startedAt !== null);
  if (started.length === 0) return '<p class="muted">No agent started.</p>';
  const from = Math.min(state.startedAt ?? Infinity, ...started.map((a) => a.startedAt ?? Infinity));
  const to = Math.max(from + 1, state.endedAt ?? 0, ...started.map((a) => a.endedAt ?? 0));
  const x = (at: number) =>
    LABEL_WIDTH + ((Math.min(Math.max(at, from), to) - from) / (to - from)) * PLOT_WIDTH;
  const height = AXIS_HEIGHT + agents.length * ROW_HEIGHT + 8;
  const rows = agents.map((agent, i) =>
    row(agent, AXIS_HEIGHT + i * ROW_HEIGHT, x, waitSegments(state, agent.id)),
  );
  return [
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${LABEL_WIDTH + PLOT_WIDTH + RIGHT_PAD}" height="${height}" viewBox="0 0 ${LABEL_WIDTH + PLOT_WIDTH + RIGHT_PAD} ${height}" role="img" aria-label="Timeline of the agents">`,
    axis((to - from) / 1000, height),
    ...rows,
    '</svg>',
  ].join('\n');
}

function row(
  agent: AgentView,
  top: number,
  x: (at: number) => number,
  waits: readonly WaitSegment[],
): string {
  const mid = top + ROW_HEIGHT / 2;
  const label = `<a href="#${agent.anchor}"><text class="label" x="${LABEL_WIDTH - 8}" y="${mid + 4}" text-anchor="end">${line(agent.id, 22)}</text></a>`;
  if (agent.startedAt === null) {
    return `<g>${label}<text class="muted" x="${LABEL_WIDTH + 4}" y="${mid + 4}">${text(agent.status)}: did not start</text></g>`;
  }
  const start = x(agent.startedAt);
  const end = Math.max(start + 1, x(agent.endedAt ?? agent.startedAt));
  const parts = [label];
  for (const wait of waits) {
    const [from, to] = [x(wait.from), Math.min(x(wait.to), start)];
    if (from >= to - 0.5) continue;
    parts.push(
      `<rect class="${WAIT_CLASS[wait.why]}" x="${px(from)}" y="${top + 7}" width="${px(to - from)}" height="${ROW_HEIGHT - 14}"><title>${text(waitWords(agent.id, wait), 400)}</title></rect>`,
    );
  }
  parts.push(
    `<a href="#${agent.anchor}"><rect class="bar ${toneOf(agent.status)}" x="${px(start)}" y="${top + 3}" width="${px(end - start)}" height="${ROW_HEIGHT - 6}"><title>${text(barWords(agent), 400)}</title></rect></a>`,
  );
  const ticks = tickPath(agent, x, top);
  if (ticks) parts.push(`<path class="ticks" d="${ticks}"/>`);
  return `<g>${parts.join('')}</g>`;
}

/** One path for every tool call of the agent, one short vertical line per call, close ones drawn once. */
function tickPath(agent: AgentView, x: (at: number) => number, top: number): string {
  const seen = new Set<number>();
  let d = '';
  for (const event of agent.events) {
    if (event.type !== 'tool-call') continue;
    const at = Math.round(x(event.at) / TICK_PIXELS) * TICK_PIXELS;
    if (seen.has(at)) continue;
    seen.add(at);
    d += `M${at} ${top + 5}v${ROW_HEIGHT - 10}`;
  }
  return d;
}

function barWords(agent: AgentView): string {
  const seconds = ((agent.endedAt ?? 0) - (agent.startedAt ?? 0)) / 1000;
  const calls = agent.events.filter((e) => e.type === 'tool-call').length;
  return `${agent.id} — ${agent.status}, ${formatDuration(seconds)}, ${calls} tool ${calls === 1 ? 'call' : 'calls'}`;
}

/** Only these class names, never a task's words, reach the markup. */
const WAIT_CLASS: Record<WaitSegment['why'], string> = {
  dependency: 'wait dep',
  overlap: 'wait overlap',
  starting: 'wait',
  slot: 'wait slot',
};

function waitWords(id: string, wait: WaitSegment): string {
  const seconds = formatDuration((wait.to - wait.from) / 1000);
  const on = wait.on.join(', ');
  switch (wait.why) {
    case 'dependency':
      return `${id} waited ${seconds} for ${on}, which it depends on`;
    case 'overlap':
      return `${id} waited ${seconds} for ${on}, which changes the same files: it starts from that work`;
    case 'slot':
      return `${id} waited ${seconds} for a free slot`;
    default:
      return on
        ? `${id} waited ${seconds} after ${on} ended`
        : `${id} waited ${seconds} from the run's start`;
  }
}

/** Grid lines and labels at a round step, about eight of them across the run. */
function axis(seconds: number, height: number): string {
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];
  const step = steps.find((s) => seconds / s <= 8) ?? Math.ceil(seconds / 8 / 3600) * 3600;
  const lines: string[] = [];
  for (let t = 0; t <= seconds + 1e-9; t += step) {
    const at = px(LABEL_WIDTH + (t / Math.max(seconds, 1e-9)) * PLOT_WIDTH);
    lines.push(
      `<line class="grid" x1="${at}" y1="${AXIS_HEIGHT - 6}" x2="${at}" y2="${height}"/><text class="axis" x="${at}" y="${AXIS_HEIGHT - 10}" text-anchor="middle">${text(formatDuration(t))}</text>`,
    );
  }
  return lines.join('');
}

function px(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
