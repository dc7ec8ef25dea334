import type { MergeCheck } from '../checks.js';
import { codeSpan, escapeTableCell } from './sanitize.js';

/** Up to this many branches the conflicts are drawn as a matrix; past it, listed as pairs. */
const MATRIX_MAX = 12;
/** Conflicting pairs listed at most; the rest are counted. */
const PAIRS_LISTED = 50;

/**
 * The trial merges as Markdown: a matrix of which changed branches conflict (or, for many branches, the pairs that
 * do), a merge order that works, and each branch left out of it with why. Empty when fewer than two branches
 * changed and none was left out: there is nothing to compare.
 */
export function renderMergeCheck(check: MergeCheck): string {
  if (check.branches.length < 2 && check.leftOut.length === 0 && !check.combined) return '';
  const parts = ['### Merge check'];
  const pairs = check.conflicts.length;
  parts.push(
    pairs === 0
      ? `Every pair of the ${check.branches.length} changed branches merges cleanly (\`git merge-tree\`).`
      : `${pairs} ${pairs === 1 ? 'pair' : 'pairs'} of the ${check.branches.length} changed branches ${pairs === 1 ? 'conflicts' : 'conflict'} (\`git merge-tree\`).`,
  );
  if (check.branches.length >= 2 && check.branches.length <= MATRIX_MAX) parts.push(matrix(check));
  if (pairs) parts.push(pairList(check));
  if (check.order.length) {
    const order = check.order.map((t) => `**${escapeTableCell(t, 40)}**`).join(' → ');
    parts.push(`**Merge order that works:** ${order}`);
  }
  if (check.leftOut.length) parts.push(leftOutList('Left out of the merge order', check.leftOut));
  if (check.combined) {
    parts.push(
      `**Combined branch:** ${codeSpan(check.combined.branch)} holds ${check.order.length} ${check.order.length === 1 ? 'branch' : 'branches'}, merged in that order.`,
    );
  }
  return parts.join('\n\n');
}

/** `**heading:**` and a line for each branch left out of a merge, with why. */
export function leftOutList(heading: string, leftOut: MergeCheck['leftOut']): string {
  const lines = leftOut.map((l) => `- **${escapeTableCell(l.task, 40)}**: ${escapeTableCell(l.reason, 400)}`);
  return [`**${heading}:**`, ...lines].join('\n');
}

/** ✅ merges cleanly, ❌ conflicts; the diagonal is blank. */
function matrix(check: MergeCheck): string {
  const ids = check.branches.map((b) => b.task);
  const conflicting = new Set(check.conflicts.map(({ tasks: [a, b] }) => `${a}\n${b}`));
  const conflicts = (a: string, b: string) => conflicting.has(`${a}\n${b}`) || conflicting.has(`${b}\n${a}`);
  const head = ids.map((id) => escapeTableCell(id, 40));
  const rows = ids.map(
    (a, i) =>
      `| **${head[i]}** | ${ids.map((b) => (a === b ? '' : conflicts(a, b) ? '❌' : '✅')).join(' | ')} |`,
  );
  return [`| | ${head.join(' | ')} |`, `| --- | ${ids.map(() => ':---:').join(' | ')} |`, ...rows].join('\n');
}

/** The pairs that conflict, with their files. */
function pairList(check: MergeCheck): string {
  if (check.conflicts.length === 0) return '';
  const lines = check.conflicts
    .slice(0, PAIRS_LISTED)
    .map(
      ({ tasks: [a, b], files }) =>
        `- **${escapeTableCell(a, 40)}** × **${escapeTableCell(b, 40)}**: ${escapeTableCell(files.slice(0, 5).join(', '), 300) || 'conflict'}`,
    );
  const more = check.conflicts.length - PAIRS_LISTED;
  if (more > 0) lines.push(`- _… and ${more} more ${more === 1 ? 'pair' : 'pairs'}_`);
  return lines.join('\n');
}
