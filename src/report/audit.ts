import fs from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { types } from 'node:util';
import type { EventStream, RunEvent } from '../events.js';
import type { AgentResult } from '../result.js';
import { redactor } from './redact.js';
import { writeBatches } from './write-batches.js';

/**
 * How much of an event the audit log keeps. A log is for reading, not for replaying: a tool's 10 MB output or a
 * 10 MB reply is cut to its first few thousand characters, and no line can grow past `lineChars`.
 */
const AUDIT_LIMITS = {
  /** Per string (a tool's output, a reply's text, a file written). */
  chars: 8_000,
  /** Per list or object. */
  items: 200,
  /** Per line; an event still longer once cut is logged with its type, task and time only. */
  lineChars: 64 * 1024,
};

/** Longest an audit line waits to be written with the ones after it. */
const AUDIT_BATCH_MS = 50;

/** How much of a result a result file keeps: the whole report up to 64 KB, and what the table needs. */
const RESULT_LIMITS = {
  report: 64 * 1024,
  error: 8 * 1024,
  /** Any other string: a title, a branch, a path. */
  chars: 1_000,
  /** Files listed per result. */
  items: 1_000,
  /** Per file; past it, fewer files are listed (the report keeps its 64 KB). */
  fileChars: 256 * 1024,
};

/** What each cut leaves in place of what it took, so a reader can see that something is missing and how much. */
function omitted(count: number, what: string): string {
  return `… (${count} ${what} omitted)`;
}

/**
 * Every event as one JSON line in `file`, for upload as an artifact. Known secrets are replaced wherever they
 * appear, in every form the log could hold them (see {@link redactor}), and only then is anything cut, so no part
 * of a secret survives at a cut. A file that cannot be written (no space left, a file where the directory should
 * be) never interrupts the run: the events are dropped, and `close` rejects saying why.
 */
export function openAuditLog(
  events: EventStream,
  file: string,
  secrets: readonly string[],
): { close: () => Promise<void> } {
  let failed: Error | undefined;
  const fail = (error: unknown) => {
    failed ??= new Error(`${file}: ${reasonOf(error)}`);
  };
  let out: fs.WriteStream | undefined;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    out = fs.createWriteStream(file, { flags: 'a' });
    out.on('error', fail);
  } catch (error) {
    fail(error);
  }
  const redact = redactor(secrets);
  // A burst of events (several agents' turns ending together) goes out in one write. `close` writes what is held; a
  // process killed outright loses at most the last 50 ms of lines.
  const batches = out ? writeBatches(out, AUDIT_BATCH_MS) : undefined;
  const stop = events.on((event) => {
    if (failed || !out) return;
    batches?.hold();
    out.write(`${auditLine(event, redact)}\n`);
  });
  return {
    close: async () => {
      stop();
      batches?.flush();
      if (out) {
        out.end();
        await finished(out).catch(fail);
      }
      if (failed) throw failed;
    },
  };
}

/** One event as its audit-log line: redacted, then cut to the limits. */
function auditLine(event: RunEvent, redact: (text: string) => string): string {
  const clean = deepRedact(event, redact);
  const tighter = [AUDIT_LIMITS, { chars: 1_000, items: 50 }, { chars: 200, items: 10 }];
  for (const limits of tighter) {
    const line = JSON.stringify(bound(clean, () => limits.chars, limits.items));
    if (line.length <= AUDIT_LIMITS.lineChars) return line;
  }
  const whole = JSON.stringify(clean).length;
  return JSON.stringify({
    type: event.type,
    ...('task' in event ? { task: event.task } : {}),
    at: event.at,
    omitted: omitted(whole, 'characters of this event'),
  });
}

/** Result files that could not be written, each with why. The others were written. */
export class ResultFilesError extends Error {
  override name = 'ResultFilesError';

  constructor(readonly failures: readonly { file: string; reason: string }[]) {
    super(
      `${failures.length} result file${failures.length === 1 ? '' : 's'} could not be written: ` +
        failures.map((f) => `${f.file} (${f.reason})`).join('; '),
    );
  }
}

/**
 * One `<id>.json` per task in `dir`: what a later `report` step (or a person) reads back. Secrets are redacted and
 * each file is bounded ({@link boundedResult}). Every file is attempted even when some fail (no space left, say);
 * then one {@link ResultFilesError} lists those that failed.
 */
export async function writeResultFiles(
  dir: string,
  results: readonly AgentResult[],
  secrets: readonly string[],
): Promise<void> {
  try {
    await fs.promises.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new ResultFilesError(
      results.map((r) => ({ file: path.join(dir, `${r.id}.json`), reason: reasonOf(error) })),
    );
  }
  const redact = redactor(secrets);
  const failures: { file: string; reason: string }[] = [];
  // One file at a time, each written off the thread: a hundred results written at once held the loop for 25 ms.
  for (const result of results) {
    const file = path.join(dir, `${result.id}.json`);
    try {
      await fs.promises.writeFile(file, `${boundedResult(result, redact)}\n`);
    } catch (error) {
      failures.push({ file, reason: reasonOf(error) });
    }
  }
  if (failures.length > 0) throw new ResultFilesError(failures);
}

/**
 * A result as the JSON of its result file: redacted first, then its report cut at 64 KB and its error at 8 KB, other
 * strings and lists shortened, each cut marked; at most about 256 KB in all.
 */
function boundedResult(result: AgentResult, redact: (text: string) => string): string {
  const clean = deepRedact(result, redact);
  const charsFor = (key: string | undefined) =>
    key === 'report' ? RESULT_LIMITS.report : key === 'error' ? RESULT_LIMITS.error : RESULT_LIMITS.chars;
  let text = '';
  for (const items of [RESULT_LIMITS.items, 100, 10, 0]) {
    text = JSON.stringify(bound(clean, charsFor, items), null, 2);
    if (text.length <= RESULT_LIMITS.fileChars) break;
  }
  return text;
}

/**
 * Strings longer than `charsFor(their key)` cut, lists and objects with more than `items` entries shortened, each
 * cut saying how much it took.
 */
function bound(
  value: unknown,
  charsFor: (key: string | undefined) => number,
  items: number,
  key?: string,
): unknown {
  if (typeof value === 'string') return cut(value, charsFor(key));
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const kept: unknown[] = value.slice(0, items).map((item) => bound(item, charsFor, items, key));
    if (value.length > items) kept.push(omitted(value.length - items, 'more items'));
    return kept;
  }
  const entries = Object.entries(value);
  const kept = entries
    .slice(0, items)
    .map(([k, v]) => [cut(k, charsFor(undefined)), bound(v, charsFor, items, k)] as const);
  if (entries.length > items) kept.push(['…', omitted(entries.length - items, 'more fields')]);
  // fromEntries defines each key as data, so a key such as `__proto__` stays a key.
  return Object.fromEntries(kept);
}

/** The first `max` characters and a note of how many more there were; never half of a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let keep = max;
  const code = text.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep -= 1;
  return `${text.slice(0, keep)}${omitted(text.length - keep, 'characters')}`;
}

/** Every string in `value` (keys too) with `redact` applied. */
function deepRedact(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => deepRedact(item, redact));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), deepRedact(v, redact)]));
}

function reasonOf(error: unknown): string {
  return types.isNativeError(error) ? error.message : String(error);
}
