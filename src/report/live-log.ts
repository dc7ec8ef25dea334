import type { MergeCheck } from '../checks.js';
import type { RunEvent } from '../events.js';
import type { Progress } from '../run-state.js';
import { verdictOf, type AgentResult, type Verdict } from '../result.js';
import type { TogetherCheck } from '../checks.js';
import { formatDuration, hasStarted } from './timing.js';
import { settlingRun } from './verification.js';
import { NOTES_TOOL } from '../tools/notes.js';
import { oneLine, PROGRESS_TOOL } from '../tools/progress.js';

/** Longest stretch of model text shown for a turn. */
const TEXT_CHARS = 100;
/** Longest path, pattern or command shown for a tool call. */
const TARGET_CHARS = 120;
/** Longest error shown on one line. */
const ERROR_CHARS = 200;

/**
 * One log line for an event, prefixed with its task (`[BAC-124] read src/router.ts`), or null for events not worth
 * a line (usage, successful tool results). `toolInput` is the input of the call a tool result answers, so that a
 * failed call can name what it was aimed at; {@link createEventFormatter} supplies it.
 */
export function formatEvent(event: RunEvent, toolInput?: Record<string, unknown>): string | null {
  switch (event.type) {
    case 'run-started':
    case 'run-ended':
      return null;
    case 'plan-predicted':
      return `[plan] predicted by ${oneLine(event.model, 60)}`;
    case 'throttled':
      return `[model] HTTP ${event.status}: holding new requests ${(event.waitMs / 1000).toFixed(1)} s; ${event.limit} at once`;
    case 'concurrency':
      return `[runner] ${event.reason}: ${event.limit} ${event.limit === 1 ? 'agent' : 'agents'} at once`;
    case 'stopping':
    case 'warning':
      return event.type === 'stopping' ? event.detail : event.message;
    case 'together':
      return describeTogether(event.check);
    case 'merge-check':
      return describeMergeCheck(event.check);
  }
  const prefix = `[${oneLine(event.task, 40)}]`;
  switch (event.type) {
    case 'started':
      return `${prefix} started on ${oneLine(event.branch, TARGET_CHARS)} (${oneLine(event.model, 60)})`;
    case 'turn': {
      const said = oneLine(event.text, TEXT_CHARS);
      const parts = [`turn ${event.turn}`];
      if (event.stopReason) parts.push(oneLine(event.stopReason, 40));
      if (said) parts.push(`"${said}"`);
      return `${prefix} ${parts.join(' · ')}`;
    }
    case 'tool-call':
      // A report of progress or a posted note has a line of its own.
      if (event.tool === PROGRESS_TOOL || (event.tool === NOTES_TOOL && event.input['action'] === 'post'))
        return null;
      return `${prefix} ${event.tool === NOTES_TOOL ? 'reads the notes of the others' : describeCall(event.tool, event.input)}`;
    case 'progress':
      // A stand-in says what the tool call's own line said already.
      return event.reported
        ? `${prefix} ${progressLine(event.percent, oneLine(event.doing, TEXT_CHARS))}`
        : null;
    case 'note':
      return `${prefix} note for the others · ${oneLine(event.topic, 60)}: ${oneLine(event.text, TEXT_CHARS)}`;
    case 'tool-result': {
      if (!event.isError) return null;
      const call = toolInput ? describeCall(event.tool, toolInput) : oneLine(event.tool, 40);
      const firstLine = event.output.trim().split('\n', 1)[0] ?? '';
      return `${prefix} ✗ ${call}: ${oneLine(firstLine, ERROR_CHARS) || 'error'}`;
    }
    case 'usage':
      return null;
    case 'retry':
      return `${prefix} reply broke off (${oneLine(event.reason, ERROR_CHARS)}); sending the turn again (retry ${event.attempt})`;
    case 'check':
      return `${prefix} ${describeCheck(event)}`;
    case 'ended':
      return `${prefix} ${describeEnd(event.result)}`;
    case 'pull-request':
      return `${prefix} ${event.created ? 'opened' : 'updated'} pull request #${event.pullRequest.number}: ${event.pullRequest.url}`;
    case 'pull-request-not-opened': {
      const { reason, compareUrl } = event.notOpened;
      const byHand = compareUrl ? `; open it by hand: ${compareUrl}` : '';
      return `${prefix} pull request not opened (${oneLine(reason, ERROR_CHARS)})${byHand}`;
    }
  }
}

/** `[merge] 3 branches: BAC-2 and BAC-3 conflict; merge order BAC-1 → BAC-2; BAC-3 left out (…)` */
function describeMergeCheck(check: MergeCheck): string {
  const n = check.branches.length;
  const parts = [`[merge] ${n} ${n === 1 ? 'branch' : 'branches'}`];
  parts.push(
    check.conflicts.length
      ? check.conflicts.map((c) => `${c.tasks.join(' and ')} conflict`).join(', ')
      : 'no conflicts',
  );
  if (check.order.length) parts.push(`merge order ${check.order.join(' → ')}`);
  for (const left of check.leftOut)
    parts.push(`${left.task} left out (${oneLine(left.reason, ERROR_CHARS)})`);
  if (check.combined) parts.push(`combined on ${check.combined.branch}`);
  return parts.join('; ');
}

/**
 * The line of a command's output that says most in a log line: the last that marks a failed test (`✖ routes gpt-*…`,
 * `FAILED test_x.py::…`, `not ok 3 …`), else the last that mentions a failure or an error, else its last line. Stack
 * frames never.
 */
function tellingLine(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^at /.test(line));
  return (
    lines.findLast((line) => /✖|✗|\bnot ok\b|\bFAIL(ED)?\b/.test(line)) ??
    lines.findLast((line) => /fail|error/i.test(line)) ??
    lines.at(-1) ??
    ''
  );
}

/** `[together] ✅ \`npm test\` passes on the merge of BAC-1, BAC-2 (3.1 s)`, or how it failed. */
function describeTogether(check: TogetherCheck): string {
  const merge = `the merge of ${check.merged.join(', ')}`;
  const left = check.conflicts.length
    ? `; left out for conflicts: ${check.conflicts.map((c) => c.task).join(', ')}`
    : '';
  const failed = settlingRun(check);
  if (check.passed === null || !failed) return `[together] not run: fewer than two branches merge${left}`;
  const command = `\`${oneLine(failed.command, TARGET_CHARS)}\``;
  const time = formatDuration(failed.seconds);
  if (check.passed) return `[together] ✅ ${command} passes on ${merge} (${time})${left}`;
  const ended = failed.exitCode === null ? 'did not finish' : `exited ${failed.exitCode}`;
  return `[together] ❌ ${command} ${ended} on ${merge} after ${time}, though each branch passed alone${left}`;
}

/**
 * `❌ failed verification: \`npm test\` exited 1 after 2.1 s: # fail 1; its output goes back to the agent (fix-up 1)`,
 * `✅ verified: \`npm test\` passed in 2.3 s`, `setup \`npm ci\` done in 14.0 s`.
 */
function describeCheck(event: Extract<RunEvent, { type: 'check' }>): string {
  const { run } = event;
  const command = `\`${oneLine(run.command, TARGET_CHARS)}\``;
  const time = formatDuration(run.seconds);
  const ended =
    run.exitCode === null
      ? `did not finish: ${oneLine(run.error ?? 'no exit code', ERROR_CHARS)}`
      : `exited ${run.exitCode} after ${time}`;
  const last = tellingLine(run.outputTail);
  const why = run.exitCode !== null && last ? `${ended}: ${oneLine(last, ERROR_CHARS)}` : ended;
  if (event.check === 'setup') {
    return run.exitCode === 0 ? `setup ${command} done in ${time}` : `✗ setup ${command} ${why}`;
  }
  if (run.exitCode === 0) return `✅ verified: ${command} passed in ${time}`;
  const next = event.fixUp ? `; its output goes back to the agent (fix-up ${event.fixUp})` : '';
  return `❌ failed verification: ${command} ${why}${next}`;
}

/**
 * {@link formatEvent} with memory: remembers each tool call's input until its result arrives, so a failed result
 * reads `✗ read ../../etc/passwd: …` rather than `✗ read: …`.
 */
export function createEventFormatter(): (event: RunEvent) => string | null {
  const pending = new Map<string, Record<string, unknown>>();
  return (event) => {
    if (event.type === 'tool-call') pending.set(`${event.task}\n${event.id}`, event.input);
    if (event.type !== 'tool-result') return formatEvent(event);
    const key = `${event.task}\n${event.id}`;
    const input = pending.get(key);
    pending.delete(key);
    return formatEvent(event, input);
  };
}

/** What a tool call is about, in a few words: `read src/x.ts`, `grep TODO in src`, `bash: npm test`. */
function describeCall(tool: string, input: Record<string, unknown>): string {
  const field = (key: string) => {
    const value = input[key];
    return typeof value === 'string' ? oneLine(value, TARGET_CHARS) : '';
  };
  const name = oneLine(tool, 40);
  switch (tool) {
    case 'read':
    case 'write':
    case 'edit':
      return `${name} ${field('file_path') || field('path')}`.trimEnd();
    case 'glob':
    case 'grep': {
      const where = field('path');
      return `${name} ${field('pattern')}${where ? ` in ${where}` : ''}`.trimEnd();
    }
    case 'bash':
      return `bash: ${field('command')}`.trimEnd();
    default: {
      const json = JSON.stringify(input) ?? '';
      return json === '{}' ? name : `${name} ${oneLine(json, TARGET_CHARS)}`;
    }
  }
}

/** How an agent's end reads: `succeeded in`, `failed in`, `timed out after`… */
const END_PHRASE: Record<string, string> = {
  succeeded: 'succeeded in',
  failed: 'failed in',
  'failed-verification': 'failed verification in',
  'turn-limit': 'reached the turn limit in',
  timeout: 'timed out after',
  cancelled: 'cancelled after',
  budget: 'stopped at the budget after',
  partial: 'ended, partly done, in',
  blocked: 'ended, blocked, in',
} satisfies Record<Exclude<Verdict, 'skipped' | 'missing'>, string>;

/** `succeeded in 12.3 s · 5 turns · 7 tool calls · 3 files changed`, with `: <error>` when there is one. */
function describeEnd(r: AgentResult): string {
  // A task that never started has no figures, only the reason.
  if (!hasStarted(r)) return `${oneLine(r.status, 40)}${r.error ? `: ${oneLine(r.error, ERROR_CHARS)}` : ''}`;
  const verdict = verdictOf(r);
  const phrase = END_PHRASE[verdict] ?? `${oneLine(verdict, 40)} after`;
  const time = hasStarted(r) ? formatDuration(r.seconds) : formatDuration(0);
  const figures = [
    `${phrase} ${time}`,
    plural(r.turns, 'turn', 'turns'),
    plural(r.toolCalls, 'tool call', 'tool calls'),
    plural(r.filesChanged.length, 'file changed', 'files changed'),
  ].join(' · ');
  const error = r.error ? oneLine(r.error.trim().split('\n', 1)[0] ?? '', ERROR_CHARS) : '';
  return error ? `${figures}: ${error}` : figures;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `████████░░ 80% - Writing the fix`; without a percent, the words alone. `doing` is already safe to show. */
export function progressLine(percent: number | null, doing: string): string {
  if (percent === null) return doing;
  return `${progressBar(percent)} ${percent}%${doing ? ` - ${doing}` : ''}`;
}

/** Ten cells, one filled per tenth done: `████████░░`. */
function progressBar(percent: number): string {
  const filled = Math.round(Math.min(100, Math.max(0, percent)) / 10);
  return '█'.repeat(filled) + '░'.repeat(10 - filled);
}

/** `3/5 running · 1 done · 1 queued · $0.42`; counts that are zero are left out, except running. */
export function formatProgress(state: Progress, spentUsd?: number): string {
  const parts = [`${state.running}/${state.total} running`];
  if (state.done) parts.push(`${state.done} done`);
  if (state.failed) parts.push(`${state.failed} failed`);
  if (state.queued) parts.push(`${state.queued} queued`);
  if (spentUsd !== undefined) parts.push(`$${spentUsd.toFixed(2)}`);
  return parts.join(' · ');
}
