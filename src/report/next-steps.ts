import { verdictOf, type AgentResult, type PullRequestRef } from '../result.js';
import { resultsOf, type RunState } from '../run-state.js';
import { codeSpan, escapeTableCell, formatCount } from './sanitize.js';
import { statusCell } from './verdict.js';

/** How a task of this run can be started again, as the action accepts it. */
export interface RerunWays {
  /** The issue whose `/agents run ID` comments start a run: the run came from it and `comment-command` is on. */
  commentOn?: number;
  /** The issue whose sticky comment `only: failed` reads, for a new run of the workflow. */
  issue?: number;
}

/** Items of one kind listed at most; the rest are counted. */
const LISTED = 30;

/**
 * What the reader does next, as Markdown: the pull requests in the order to merge them, each branch that conflicts
 * with the re-run that resolves it, and each task that did not succeed with how to run it again. Empty when there is
 * nothing to do. Ids and file names are task text: escaped.
 */
export function renderNextSteps(state: RunState, ways: RerunWays = {}): string {
  const results = resultsOf(state);
  const redo = conflictRedos(state, results);
  const items = [
    mergeLine(state, results),
    ...byHand(results),
    ...redo.map((r) => conflictLine(r, ways)),
    ...rerunLines(
      results.filter((r) => verdictOf(r) !== 'succeeded' && !redo.some((c) => c.task.id === r.id)),
      ways,
    ),
  ].filter(Boolean);
  if (items.length === 0) return '';
  const commands = ways.commentOn !== undefined && items.some((line) => line.includes('`/agents run'));
  const where = commands ? [`_Commands go in a new comment on #${ways.commentOn}._`] : [];
  return ['### What next', items.map((line) => `- ${line}`).join('\n'), ...where].join('\n\n');
}

/** A pull request to merge and the tasks it holds (one for each task, or every task in a combined one). */
interface ToMerge {
  pr: PullRequestRef;
  tasks: string[];
  /** Pull requests to merge before this one: those of the tasks it builds on. */
  after: number[];
}

/**
 * `**Merge** in this order: 1. #101 BAC-12 · 2. #102 BAC-13 (after #101)`: the pull requests of tasks that succeeded
 * and are not left out of the merge order; a stacked task's after what it builds on, otherwise by number.
 */
function mergeLine(state: RunState, results: readonly AgentResult[]): string {
  const leftOut = new Set(state.mergeCheck?.leftOut.map((l) => l.task) ?? []);
  const prOf = new Map(
    results.flatMap((r) => (r.pullRequest ? [[r.id, r.pullRequest.number] as const] : [])),
  );
  const byNumber = new Map<number, ToMerge>();
  for (const r of results) {
    if (!r.pullRequest || verdictOf(r) !== 'succeeded' || leftOut.has(r.id)) continue;
    const { number } = r.pullRequest;
    const entry = byNumber.get(number) ?? { pr: r.pullRequest, tasks: [], after: [] };
    entry.tasks.push(r.id);
    for (const id of r.buildsOn ?? []) {
      const before = prOf.get(id);
      if (before !== undefined && before !== number && !entry.after.includes(before))
        entry.after.push(before);
    }
    byNumber.set(number, entry);
  }
  const order = mergeOrder([...byNumber.values()]);
  if (order.length === 0) return '';
  const shown = order.slice(0, LISTED).map((m, i) => {
    const after = m.after.filter((n) => byNumber.has(n));
    const tasks = m.tasks.slice(0, 5).map((id) => escapeTableCell(id, 40));
    if (m.tasks.length > 5) tasks.push(`and ${formatCount(m.tasks.length - 5)} more`);
    return `${i + 1}. ${prLink(m.pr)} ${tasks.join(', ')}${after.length ? ` (after ${after.map((n) => `#${n}`).join(', ')})` : ''}`;
  });
  const more = order.length - shown.length;
  if (more > 0) shown.push(`and ${formatCount(more)} more`);
  return `**Merge** in this order: ${shown.join(' · ')}`;
}

/** By number, each pull request only once those it comes after are placed (a cycle is broken by number). */
function mergeOrder(entries: ToMerge[]): ToMerge[] {
  const left = [...entries].sort((a, b) => a.pr.number - b.pr.number);
  const present = new Set(left.map((e) => e.pr.number));
  const placed = new Set<number>();
  const order: ToMerge[] = [];
  while (left.length) {
    const i = left.findIndex((e) => e.after.every((n) => placed.has(n) || !present.has(n)));
    const [next] = left.splice(Math.max(0, i), 1);
    order.push(next!);
    placed.add(next!.pr.number);
  }
  return order;
}

/** Pushed branches whose pull request GitHub would not open: the page that opens each by hand. */
function byHand(results: readonly AgentResult[]): string[] {
  return results
    .filter(
      (r) =>
        !r.pullRequest && r.pullRequestNotOpened?.compareUrl && isHttp(r.pullRequestNotOpened.compareUrl),
    )
    .slice(0, LISTED)
    .map(
      (r) =>
        `**${escapeTableCell(r.id, 40)}**: open its pull request by hand ([compare](${r.pullRequestNotOpened!.compareUrl}))`,
    );
}

/** A branch to run again once the branches it conflicts with are merged. */
interface Redo {
  task: AgentResult;
  /** The tasks to merge first, with their pull request when there is one, and the files in conflict. */
  first: { id: string; pr?: PullRequestRef; files: string[] }[];
}

/**
 * For each conflicting pair, the branch to redo: the one left out of the merge order (or, when both or neither are,
 * the later in the task list), after the other is merged.
 */
function conflictRedos(state: RunState, results: readonly AgentResult[]): Redo[] {
  const check = state.mergeCheck;
  if (!check) return [];
  const inOrder = new Set(check.order);
  const place = new Map(state.tasks.map((t, i) => [t.id, i]));
  const byId = new Map(results.map((r) => [r.id, r]));
  const redos = new Map<string, Redo>();
  for (const {
    tasks: [a, b],
    files,
  } of check.conflicts) {
    const aFirst =
      inOrder.has(a) !== inOrder.has(b) ? inOrder.has(a) : (place.get(a) ?? 0) <= (place.get(b) ?? 0);
    const [keep, again] = aFirst ? [a, b] : [b, a];
    const task = byId.get(again);
    if (!task) continue;
    const redo = redos.get(again) ?? { task, first: [] };
    const pr = byId.get(keep)?.pullRequest;
    redo.first.push({ id: keep, ...(pr ? { pr } : {}), files });
    redos.set(again, redo);
  }
  return [...redos.values()].slice(0, LISTED);
}

/** `**BAC-14** conflicts with BAC-12 in `src/router.js`: after merging #100, `/agents run BAC-14`` */
function conflictLine({ task, first }: Redo, ways: RerunWays): string {
  const id = escapeTableCell(task.id, 40);
  const withWhat = first
    .map((f) => {
      const files = f.files.slice(0, 3).map((file) => codeSpan(file.slice(0, 200)));
      return `${escapeTableCell(f.id, 40)}${files.length ? ` in ${files.join(', ')}` : ''}`;
    })
    .join('; ');
  const merged = first.map((f) => (f.pr ? `#${f.pr.number}` : `${escapeTableCell(f.id, 40)}'s branch`));
  const status = verdictOf(task) === 'succeeded' ? '' : ` (${statusCell(verdictOf(task))})`;
  const then =
    ways.commentOn === undefined
      ? `run ${id} again after merging ${merged.join(', ')}, so it starts from them`
      : `after merging ${merged.join(', ')}, ${command([task.id]) || `run ${id} again`}`;
  return `**${id}**${status} conflicts with ${withWhat}: ${then}`;
}

/** Each task that did not succeed with the command that runs it again; several together, one command for all. */
function rerunLines(failed: readonly AgentResult[], ways: RerunWays): string[] {
  if (failed.length === 0) return [];
  const named = (r: AgentResult) => `**${escapeTableCell(r.id, 40)}** ${statusCell(verdictOf(r))}`;
  if (ways.commentOn !== undefined) {
    const lines = failed.slice(0, LISTED).map((r) => `${named(r)}: ${command([r.id]) || 'run it again'}`);
    if (failed.length > LISTED) lines.push(`and ${formatCount(failed.length - LISTED)} more`);
    const all = failed.length > 1 && failed.length <= LISTED ? command(failed.map((r) => r.id)) : '';
    if (all) lines.push(`All of them: ${all}`);
    return lines;
  }
  const names = failed.slice(0, LISTED).map(named);
  if (failed.length > LISTED) names.push(`and ${formatCount(failed.length - LISTED)} more`);
  const how =
    ways.issue === undefined
      ? 'run the workflow again (with no issue to record this run on, `only: failed` cannot tell what succeeded, so every task runs)'
      : `run the workflow again with \`only: failed\` and \`issue-number: ${ways.issue}\``;
  return [`${names.join(', ')}: ${how}`];
}

/**
 * `/agents run BAC-3 BAC-4` as a code span; empty when an id is not one the command can carry (it splits on spaces
 * and commas), or would carry more than an id.
 */
function command(ids: readonly string[]): string {
  return ids.every((id) => /^[A-Za-z0-9][\w.-]{0,79}$/.test(id))
    ? codeSpan(`/agents run ${ids.join(' ')}`)
    : '';
}

function prLink(pr: PullRequestRef): string {
  return isHttp(pr.url) ? `[#${pr.number}](${pr.url})` : `#${pr.number}`;
}

function isHttp(url: string): boolean {
  return /^https?:\/\/[^\s()<>|]+$/.test(url);
}
