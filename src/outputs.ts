import { verdictOf, type AgentResult, type CommandRun } from './result.js';
import { redactor } from './report/redact.js';
import type { FailOn } from './settings.js';
import { tallyOf } from './report/verdict.js';
import { resultsOf, runCostOf, timingOf, type RunState } from './run-state.js';

/**
 * Longest report and error kept per task in the `results` output. Outputs share about 1 MB per job, and the full
 * reports are in the result files and the summary.
 */
const REPORT_CHARS = 4_000;
const ERROR_CHARS = 1_000;
/** Files left out of a commit, listed by name at most; the result file has them all. */
const SKIPPED_LISTED = 50;
/** Items of each list of an agent's own report, and characters of each, in the output. */
const LISTED = 10;
const ITEM_CHARS = 300;
/** The end of each `setup` and `verify` run's output kept in the output; the result file has more. */
const OUTPUT_TAIL_CHARS = 1_000;

/**
 * The step's outputs of an ended run, by name, as strings; known secrets are redacted wherever an agent or an API
 * echoed them. `succeeded`, `partial`, `blocked` and `failed` add up to the tasks, as the headline counts them.
 */
export function runOutputs(state: RunState, secrets: readonly string[] = []): Record<string, string> {
  const results = resultsOf(state);
  const timing = timingOf(state);
  const { total, verdicts } = tallyOf(state);
  const succeeded = verdicts.get('succeeded') ?? 0;
  const partial = verdicts.get('partial') ?? 0;
  const blocked = verdicts.get('blocked') ?? 0;
  const cost = runCostOf(state);
  const redact = redactor(secrets);
  const bounded = results.map((r) => ({
    ...r,
    verdict: verdictOf(r),
    report: cut(redact(r.report), REPORT_CHARS),
    ...(r.error === undefined ? {} : { error: cut(redact(r.error), ERROR_CHARS) }),
    ...(r.skipped === undefined ? {} : { skipped: r.skipped.slice(0, SKIPPED_LISTED) }),
    ...(r.setup === undefined ? {} : { setup: tailOf(r.setup, redact) }),
    ...(r.verification === undefined
      ? {}
      : { verification: { ...r.verification, runs: r.verification.runs.map((run) => tailOf(run, redact)) } }),
    // Its summary is the start of `report`, already here; its lists are in `report` too, so only their heads.
    ...(r.agentReport === undefined
      ? {}
      : {
          agentReport: {
            outcome: r.agentReport.outcome,
            changes: r.agentReport.changes.slice(0, LISTED).map((item) => cut(item, ITEM_CHARS)),
            risks: r.agentReport.risks.slice(0, LISTED).map((item) => cut(item, ITEM_CHARS)),
            followUps: r.agentReport.followUps.slice(0, LISTED).map((item) => cut(item, ITEM_CHARS)),
          },
        }),
  }));
  return {
    results: redact(JSON.stringify(bounded)),
    succeeded: String(succeeded),
    partial: String(partial),
    blocked: String(blocked),
    failed: String(total - succeeded - partial - blocked),
    'wall-seconds': timing.wallSeconds.toFixed(3),
    'sequential-seconds': timing.sequentialSeconds.toFixed(3),
    speedup: timing.speedup === null ? '' : timing.speedup.toFixed(2),
    // Empty when a model's price is unknown: a guess would be worse than nothing.
    'cost-usd': cost === null ? '' : cost.toFixed(4),
  };
}

/** A command's run with only the end of its output, redacted first. */
function tailOf(run: CommandRun, redact: (text: string) => string): CommandRun {
  const output = redact(run.outputTail);
  return {
    ...run,
    outputTail: output.length <= OUTPUT_TAIL_CHARS ? output : `…${output.slice(-OUTPUT_TAIL_CHARS)}`,
  };
}

/** Redacted before it is cut, so no secret survives in part at the cut. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} characters cut; the full text is in the result file)`;
}

/** Why the step fails under `fail-on`, or null when it passes. */
export function failureReason(results: AgentResult[], failOn: FailOn): string | null {
  const failed = results.filter((r) => r.status !== 'succeeded');
  const fails =
    failOn === 'any' ? failed.length > 0 : failOn === 'all' ? failed.length === results.length : false;
  if (!fails || !failed.length) return null;
  const which = failed.map((r) => `${r.id} ${r.status}`).join(', ');
  return `${failed.length} of ${results.length} agents did not succeed (${which}); fail-on: ${failOn}`;
}
