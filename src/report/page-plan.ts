import type { RunShape } from '../events.js';
import type { Plan } from '../tasks/plan.js';
import { count, line } from './page-html.js';

/** Rows of the plan's table, at most: the agents' own sections hold the rest of a huge run. */
const PLAN_ROWS = 1_000;

/**
 * The plan: each task's level, what it depends on and what it is stacked on (with the overlapping globs), the
 * overlaps run side by side, and the critical path. Without the plan, the waits the run's events carried.
 */
export function renderPlanSection(plan: Plan | undefined, shape: RunShape): string {
  if (!plan) return shapeOnly(shape);
  const level = new Map<string, number>();
  plan.levels.forEach((ids, i) => ids.forEach((id) => level.set(id, i)));
  const rows = plan.tasks.slice(0, PLAN_ROWS).map((task) => {
    const deps = plan.dependencies.filter((d) => d.task === task.id).map((d) => d.dependsOn);
    const stacks = plan.stacks
      .filter((s) => s.task === task.id)
      .map(
        (s) =>
          `${line(s.on, 40)} <span class="muted">(${line(s.globs[1], 80)} ∩ ${line(s.globs[0], 80)})</span>`,
      );
    return [
      `<tr><td><strong>${line(task.id, 40)}</strong></td>`,
      `<td class="num">${count(level.get(task.id) ?? 0)}</td>`,
      `<td>${deps.map((d) => line(d, 40)).join(', ') || '—'}</td>`,
      `<td>${stacks.join('<br>') || '—'}</td>`,
      `<td class="num">${task.estimate === undefined ? '—' : `${line(String(task.estimate), 12)} h`}</td></tr>`,
    ].join('');
  });
  const more =
    plan.tasks.length > PLAN_ROWS
      ? `<p class="muted">… ${count(plan.tasks.length - PLAN_ROWS)} more tasks</p>`
      : '';
  const overlaps =
    plan.overlap === 'parallel' && plan.conflicts.length
      ? `<p>Run side by side although their paths overlap (<code>overlap: parallel</code>): ${plan.conflicts
          .slice(0, PLAN_ROWS)
          .map((c) => `${line(c.a, 40)} and ${line(c.b, 40)}`)
          .join('; ')}.</p>`
      : '';
  return [
    `<p>${count(plan.tasks.length)} tasks in ${count(plan.levels.length)} ${plan.levels.length === 1 ? 'level' : 'levels'}; a task starts once every task it depends on or is stacked on has ended.</p>`,
    criticalPath(plan.criticalPath, plan.criticalPathHours),
    '<table><thead><tr><th>Task</th><th class="num">Level</th><th>Depends on</th><th>Stacked on (overlapping paths)</th><th class="num">Estimate</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody></table>`,
    more,
    overlaps,
  ].join('\n');
}

function shapeOnly(shape: RunShape): string {
  if (shape.dependencies.length === 0)
    return '<p class="muted">No task waited for another: every task was independent.</p>';
  const items = shape.dependencies
    .slice(0, PLAN_ROWS)
    .map((d) => `<li><strong>${line(d.task, 40)}</strong> waits for ${line(d.dependsOn, 40)}</li>`);
  return [criticalPath(shape.criticalPath), `<ul>${items.join('')}</ul>`].join('\n');
}

function criticalPath(path: readonly string[], hours?: number): string {
  if (path.length < 2) return '';
  const chain = path
    .slice(0, 100)
    .map((id) => line(id, 40))
    .join(' → ');
  const more = path.length > 100 ? ` → … ${count(path.length - 100)} more` : '';
  const estimate = hours === undefined ? '' : ` (${line(String(hours), 12)} h by estimate)`;
  return `<p>Critical path: ${chain}${more}${estimate}</p>`;
}
