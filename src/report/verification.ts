import type { AgentResult, CommandRun } from '../result.js';
import type { TogetherCheck } from '../checks.js';
import type { FailOn } from '../settings.js';
import { codeBlock, codeSpan, escapeTableCell } from './sanitize.js';
import { formatDuration } from './timing.js';

/** Characters of a failing command's output shown under its agent's report. */
const OUTPUT_SHOWN = 4_000;

/**
 * What `verify` made of an agent's work, for a table cell: `✅ verified`, `✅ verified after 1 fix-up`,
 * `❌ failed verification (exit 1)`, or `—` when it did not run.
 */
export function verifyCell(r: AgentResult): string {
  const verification = r.verification;
  if (!verification) return r.setup && r.setup.exitCode !== 0 ? '❌ setup failed' : '—';
  const { fixUps } = verification;
  const after = fixUps ? ` after ${fixUps} fix-up${fixUps === 1 ? '' : 's'}` : '';
  if (verification.passed) return `✅ verified${after}`;
  const last = verification.runs.at(-1);
  return `❌ failed verification (${last ? ending(last) : 'no run'})${after}`;
}

/**
 * The agent's own word on its work, plain, so that the `Verified` column beside it is the one with the marks:
 * `done`, `partial`, `blocked`, or `—` when it gave none.
 */
export function outcomeCell(r: AgentResult): string {
  return r.agentReport?.outcome ?? '—';
}

/** Whether any result carries the agent's own report, so a table needs the column. */
export function anyReported(results: readonly (AgentResult | undefined)[]): boolean {
  return results.some((r) => r?.agentReport);
}

/** Whether any result carries a `setup` or `verify` run, so a table needs the column. */
export function anyChecked(results: readonly (AgentResult | undefined)[]): boolean {
  return results.some((r) => r?.verification || r?.setup);
}

/** ` (setup 12.0 s)`: the time `setup` added to an agent, or nothing without one. */
export function setupSuffix(r: AgentResult): string {
  return r.setup ? ` (setup ${formatDuration(r.setup.seconds)})` : '';
}

/**
 * Under an agent's report: the command that failed on its work (`setup` or the last `verify`), how it ended, and the
 * end of its output. Empty when nothing failed.
 */
export function verifyNotes(r: AgentResult): string {
  const failed =
    r.setup && r.setup.exitCode !== 0
      ? { what: 'setup', run: r.setup }
      : r.verification && !r.verification.passed
        ? { what: 'verify', run: r.verification.runs.at(-1) }
        : undefined;
  if (!failed?.run) return '';
  const { what, run } = failed;
  const lead = `**${what}** ${codeSpan(run.command.slice(0, 200))} ${ending(run)} after ${formatDuration(run.seconds)}`;
  const output = run.outputTail.trim();
  if (!output) return `${lead}, with no output.`;
  return `${lead}; the end of its output:\n\n${codeBlock(output.slice(-OUTPUT_SHOWN))}`;
}

function ending(run: CommandRun): string {
  if (run.exitCode !== null) return `exit ${run.exitCode}`;
  return run.error?.startsWith('timed out') ? 'timed out' : 'did not finish';
}

/** The command that settled the merged check: `setup` when it failed there, otherwise `verify`. */
export function settlingRun(check: TogetherCheck): CommandRun | undefined {
  return check.setup && check.setup.exitCode !== 0 ? check.setup : check.verify;
}

/**
 * The merged check as Markdown: whether `verify` passes on the merge of the verified branches, and which branches
 * were left out of that merge because they conflict.
 */
export function renderTogether(check: TogetherCheck): string {
  const tasks = (ids: readonly string[]) => ids.map((id) => `**${escapeTableCell(id, 40)}**`).join(', ');
  const failed = settlingRun(check);
  const command = codeSpan((failed ?? check.setup)?.command.slice(0, 200) ?? 'verify');
  const parts = [`### Together: ${command} on the merge`];
  if (check.passed === null) {
    parts.push(`Not run: fewer than two of the verified branches merge (${tasks(check.merged)}).`);
  } else if (check.passed && check.verify) {
    parts.push(
      `✅ ${command} passes on the merge of ${tasks(check.merged)} (${formatDuration(check.verify.seconds)}): the ` +
        'work done in parallel also works together.',
    );
  } else if (failed) {
    const what = failed === check.setup ? `setup ${command}` : command;
    parts.push(
      `❌ ${what} fails on the merge of ${tasks(check.merged)} (${ending(failed)} after ` +
        `${formatDuration(failed.seconds)}), though each branch passed on its own.`,
    );
    const output = failed.outputTail.trim();
    if (output) parts.push(codeBlock(output.slice(-OUTPUT_SHOWN)));
  }
  if (check.conflicts.length) {
    const left = check.conflicts.map(
      (c) =>
        `- **${escapeTableCell(c.task, 40)}**: conflicts with the merge before it` +
        (c.files.length
          ? ` in ${c.files
              .slice(0, 5)
              .map((f) => codeSpan(f.slice(0, 200)))
              .join(', ')}`
          : ''),
    );
    parts.push(['**Left out of the merge:**', ...left].join('\n'));
  }
  return parts.join('\n\n');
}

/** Why the step fails when the verified branches fail `verify` together; null under `fail-on` other than `any`. */
export function togetherFailure(check: TogetherCheck | null, failOn: FailOn): string | null {
  if (!check || check.passed !== false || failOn !== 'any') return null;
  return `The merge of ${check.merged.join(', ')} fails its check, though each branch passed alone; fail-on: any`;
}
