import type { Plan } from '../tasks/plan.js';
import type { Shard } from '../tasks/shards.js';
import type { Task } from '../tasks/task.js';
import { codeSpan, escapeTableCell, formatCount } from './sanitize.js';

/** The plan's share of the job summary, at most; the rest is left for the run's own report. */
const PLAN_MAX_BYTES = 256 * 1024;

/** Mermaid refuses a diagram longer than this (its `maxTextSize`)… */
const MERMAID_MAX_CHARS = 50_000;
/** …or with more links than this (its `maxEdges`). */
const MERMAID_MAX_EDGES = 500;
/** Conflicts listed by name under the table; the rest are counted. */
const CONFLICTS_LISTED = 50;
/** Characters of a title shown in a graph node. */
const NODE_TITLE_CHARS = 40;

const CRITICAL_MARK = '★';
const CRITICAL_COLOUR = '#d73a49';

/**
 * The plan as Markdown for the job summary: a line of counts, the critical path, a table with a row per task, the
 * conflicts, and a Mermaid flowchart (solid arrows for dependencies, dotted lines for conflicts, the critical path
 * drawn heavier). With `shards`, each row says its shard. Titles and paths are untrusted and escaped. Within
 * `maxBytes`: rows that do not fit are counted instead, and a graph Mermaid would refuse is left out with a note.
 */
export function renderPlan(plan: Plan, shards?: readonly Shard[], maxBytes = PLAN_MAX_BYTES): string {
  const heading = '### Plan';
  if (plan.tasks.length === 0) return `${heading}\n\n_No tasks to plan._\n`;
  const fixed = [heading, counts(plan, shards), criticalPathLine(plan)];
  const overlaps = overlapList(plan);
  if (overlaps) fixed.push(overlaps);
  const graph = flowchart(plan);
  const used = Buffer.byteLength(fixed.join('\n\n')) + Buffer.byteLength(graph) + 1024;
  const parts = [...fixed.slice(0, 3), table(plan, shards, maxBytes - used), ...fixed.slice(3)];
  if (Buffer.byteLength(parts.join('\n\n')) + Buffer.byteLength(graph) + 4 < maxBytes) parts.push(graph);
  return `${parts.join('\n\n')}\n`;
}

/** `5 tasks · 3 levels · 2 dependencies · 1 stack · 2 shards` (`1 overlap` under `overlap: parallel`) */
function counts(plan: Plan, shards: readonly Shard[] | undefined): string {
  const facts = [
    plural(plan.tasks.length, 'task', 'tasks'),
    plural(plan.levels.length, 'level', 'levels'),
    plural(plan.dependencies.length, 'dependency', 'dependencies'),
    plan.overlap === 'stack'
      ? plural(plan.stacks.length, 'stack', 'stacks')
      : plural(plan.conflicts.length, 'overlap', 'overlaps'),
  ];
  if (shards) facts.push(plural(shards.length, 'shard', 'shards'));
  return facts.join(' · ');
}

function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** `**Critical path:** BAC-1 → BAC-3 → BAC-5, 7 h`, saying what a task without an estimate counted as. */
function criticalPathLine(plan: Plan): string {
  const ids = plan.criticalPath.map((id) => escapeTableCell(id, 40)).join(' → ');
  const unknown = plan.tasks.filter((t) => t.estimate === undefined).length;
  let note = '';
  if (unknown === plan.tasks.length) note = ' (no task has an estimate: each counts as 1 h)';
  else if (unknown > 0) {
    note = ` (${unknown === 1 ? 'a task' : 'tasks'} without an estimate ${unknown === 1 ? 'counts' : 'count'} as ${formatHours(plan.defaultEstimateHours)}, the median of the others)`;
  }
  return `**Critical path:** ${ids}, ${formatHours(plan.criticalPathHours)}${note}`;
}

/** `7 h`, `1.5 h`, `0.25 h`. */
function formatHours(hours: number): string {
  return `${Number(hours.toFixed(2))} h`;
}

interface Column {
  header: string;
  align: 'left' | 'right';
  cell: (task: Task) => string;
}

function columns(plan: Plan, shards: readonly Shard[] | undefined): Column[] {
  const critical = new Set(plan.criticalPath);
  const level = new Map(plan.levels.flatMap((ids, l) => ids.map((id) => [id, l] as const)));
  const list: Column[] = [
    {
      header: 'Task',
      align: 'left',
      cell: (t) => `**${escapeTableCell(t.id, 40)}**${critical.has(t.id) ? ` ${CRITICAL_MARK}` : ''}`,
    },
    { header: 'Title', align: 'left', cell: (t) => escapeTableCell(t.title, 120) || '—' },
    {
      header: 'Depends on',
      align: 'left',
      cell: (t) => escapeTableCell(t.dependsOn.join(', '), 200) || '—',
    },
    {
      header: 'Paths',
      align: 'left',
      cell: (t) => escapeTableCell(t.paths.map(codeSpan).join(' '), 300) || '—',
    },
    {
      header: 'Estimate',
      align: 'right',
      cell: (t) => (t.estimate === undefined ? '—' : formatHours(t.estimate)),
    },
    { header: 'Level', align: 'right', cell: (t) => String(level.get(t.id) ?? '—') },
  ];
  if (shards) {
    const shardOf = new Map(shards.flatMap((s) => s.tasks.map((id) => [id, s.shard] as const)));
    list.push({
      header: 'Shard',
      align: 'right',
      cell: (t) => escapeTableCell(shardOf.get(t.id) ?? '—', 10),
    });
  }
  return list;
}

function table(plan: Plan, shards: readonly Shard[] | undefined, maxBytes: number): string {
  const cols = columns(plan, shards);
  const lines = [
    `| ${cols.map((c) => c.header).join(' | ')} |`,
    `| ${cols.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`,
  ];
  const legend = plan.criticalPath.length > 0 ? `\n\n${CRITICAL_MARK} on the critical path` : '';
  let bytes = Buffer.byteLength(lines.join('\n')) + Buffer.byteLength(legend);
  for (const [i, task] of plan.tasks.entries()) {
    const row = `| ${cols.map((c) => c.cell(task)).join(' | ')} |`;
    // Room is kept for the line saying how many rows were left out.
    if (bytes + Buffer.byteLength(row) + 200 > maxBytes) {
      const left = plan.tasks.length - i;
      return `${lines.join('\n')}\n\n_${plural(left, 'more task', 'more tasks')} not shown: the summary has no room for them._${legend}`;
    }
    lines.push(row);
    bytes += Buffer.byteLength(row) + 1;
  }
  return lines.join('\n') + legend;
}

/**
 * `**Stacked** (…): BAC-4 on BAC-2 (`docs/**`), …`, or under `overlap: parallel`,
 * `**Overlaps** (…): BAC-2 ↔ BAC-4 (`docs/**`), …`.
 */
function overlapList(plan: Plan): string {
  const pairs =
    plan.overlap === 'stack'
      ? plan.stacks.map(({ task, on, globs }) => ({ text: `${task} on ${on}`, globs }))
      : plan.conflicts.map(({ a, b, globs }) => ({ text: `${a} ↔ ${b}`, globs }));
  if (pairs.length === 0) return '';
  const shown = pairs.slice(0, CONFLICTS_LISTED).map(({ text, globs: [x, y] }) => {
    const why = x === y ? codeSpan(x) : `${codeSpan(x)} · ${codeSpan(y)}`;
    return escapeTableCell(`${text} (${why})`, 400);
  });
  const more = pairs.length - shown.length;
  const tail = more > 0 ? `, and ${formatCount(more)} more` : '';
  return plan.overlap === 'stack'
    ? `**Stacked** (their paths overlap, so each starts from the work of the one it is on): ${shown.join(', ')}${tail}`
    : `**Overlaps** (their paths overlap; they run at once and the merge check judges them): ${shown.join(', ')}${tail}`;
}

/**
 * `flowchart LR`: a node per task (`BAC-1: title`), `-->` from a dependency to its dependent, `-. stacks .->` from
 * a task to the one stacked on it (`-. overlap .-` between overlapping tasks under `overlap: parallel`), the critical
 * path's nodes and links drawn heavier. Node names are `t0`, `t1`, … so no
 * id needs escaping there; labels go through {@link mermaidText}.
 */
function flowchart(plan: Plan): string {
  const name = new Map(plan.tasks.map((t, i) => [t.id, `t${i}`]));
  const nodeName = (id: string) => name.get(id) ?? 't';
  const nodes = plan.tasks.map((t) => `    ${nodeName(t.id)}["${mermaidText(nodeLabel(t))}"]`);

  const onPath = new Set(plan.criticalPath.slice(1).map((id, k) => `${plan.criticalPath[k]}\n${id}`));
  const criticalLinks: number[] = [];
  const links = plan.dependencies.map((d, k) => {
    if (onPath.has(`${d.dependsOn}\n${d.task}`)) criticalLinks.push(k);
    return `    ${nodeName(d.dependsOn)} --> ${nodeName(d.task)}`;
  });
  // Stacks order the run as dependencies do, so they are drawn whatever the size; overlaps that only inform are not
  // drawn past Mermaid's limit, so their lines are not even written.
  for (const s of plan.stacks) {
    if (onPath.has(`${s.on}\n${s.task}`)) criticalLinks.push(links.length);
    links.push(`    ${nodeName(s.on)} -. stacks .-> ${nodeName(s.task)}`);
  }
  const overlaps = plan.overlap === 'parallel' ? plan.conflicts : [];
  const drawConflicts = links.length + overlaps.length <= MERMAID_MAX_EDGES;
  const conflictLinks = drawConflicts
    ? overlaps.map((c) => `    ${nodeName(c.a)} -. overlap .- ${nodeName(c.b)}`)
    : [];

  const styles: string[] = [];
  if (plan.criticalPath.length > 0) {
    styles.push(
      `    classDef critical stroke:${CRITICAL_COLOUR},stroke-width:3px`,
      `    class ${plan.criticalPath.map(nodeName).join(',')} critical`,
    );
  }
  if (criticalLinks.length > 0) {
    styles.push(`    linkStyle ${criticalLinks.join(',')} stroke:${CRITICAL_COLOUR},stroke-width:3px`);
  }

  const render = (withConflicts: boolean) =>
    [
      '```mermaid',
      'flowchart LR',
      ...nodes,
      ...links,
      ...(withConflicts ? conflictLinks : []),
      ...styles,
      '```',
    ].join('\n');
  const fits = (text: string, edges: number) =>
    text.length <= MERMAID_MAX_CHARS && edges <= MERMAID_MAX_EDGES;

  if (drawConflicts) {
    const whole = render(true);
    if (fits(whole, links.length + conflictLinks.length)) return whole;
  }
  const withoutConflicts = render(false);
  if (fits(withoutConflicts, links.length)) {
    return `${withoutConflicts}\n\n_Overlaps are left out of the graph: with them it is larger than Mermaid draws._`;
  }
  return '_The graph is left out: it is larger than Mermaid draws._';
}

function nodeLabel(task: Task): string {
  const title = task.title.replace(/\s+/g, ' ').trim();
  if (!title) return task.id;
  const chars = Array.from(title);
  const short = chars.length > NODE_TITLE_CHARS ? `${chars.slice(0, NODE_TITLE_CHARS - 1).join('')}…` : title;
  return `${task.id}: ${short}`;
}

/** Characters written as Mermaid entity codes (`#quot;`, `#35;`) inside a quoted label. */
const MERMAID_ENTITIES: Record<string, string> = {
  '"': '#quot;',
  '#': '#35;',
  '&': '#amp;',
  '<': '#lt;',
  '>': '#gt;',
  '%': '#37;',
  ';': '#59;',
  '`': '#96;',
  '\\': '#92;',
  '[': '#91;',
  ']': '#93;',
  '(': '#40;',
  ')': '#41;',
  '{': '#123;',
  '}': '#125;',
  '|': '#124;',
};

/**
 * Untrusted text for the inside of a quoted Mermaid label. A `"` would end the label and let the rest be read as
 * statements (`click … call …`), `%%{…}%%` is a directive wherever it appears, `;` ends a statement, a backtick
 * opens a Markdown label, and `<` would be HTML; all of them, brackets and `#` itself are written as entity codes,
 * which Mermaid shows as the characters. Control characters and line breaks become spaces, and the invisible ones
 * that reorder or hide text (bidi controls, zero-width characters) go.
 */
export function mermaidText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
      .replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, '')
      .replace(/["#&<>%;`\\[\](){}|]/g, (c) => MERMAID_ENTITIES[c] ?? '')
  );
}
