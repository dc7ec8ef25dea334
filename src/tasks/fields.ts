import { InputError } from '../errors.js';
import { isRef } from './refs.js';

/**
 * Field values shared by every task source. Each reader takes the raw text (or YAML/JSON number) of one value, the
 * task it belongs to and where it was written, and returns the value or throws an InputError naming all three.
 */

/** The most text read as tasks, in UTF-8 bytes: the `tasks` input, an issue body or a task file. */
export const MAX_TASK_BYTES = 1024 * 1024;

/** How a task id is written, for messages. */
export const ID_RULE =
  'An id is a team key in capitals, a hyphen and a number without a leading zero, e.g. BAC-124';

// A number and an optional unit: `2h`, `1.5 hours`, `45m`, `1d`, or `3` (hours; Linear's points read as hours).
const DURATION = /^(\d+(?:\.\d+)?|\.\d+)\s*(h|hrs?|hours?|m|mins?|minutes?|d|days?)?$/i;
// A day is a working day.
const HOURS_PER_UNIT: Record<string, number> = { h: 1, m: 1 / 60, d: 8 };
/** How an estimate is written, for messages. */
export const ESTIMATE_RULE = 'Write it as 2h, 1.5h, 30m, 1d (8 hours) or a number of hours, above zero';
// C0 and C1 control characters and DEL, except tab.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/;
// Model ids as the API and the cloud platforms spell them: `claude-opus-4-6`, `…@20250929`, `us.anthropic.…-v1:0`.
const MODEL_ID = /^[A-Za-z0-9][\w.:@/-]*$/;

/** Refuses text over MAX_TASK_BYTES, before any parsing. */
export function checkSize(text: string, where: string): void {
  // A UTF-16 unit never takes more than 3 UTF-8 bytes, so most texts need no counting.
  if (text.length * 3 <= MAX_TASK_BYTES) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TASK_BYTES) throw tooBig(`the text is ${formatBytes(bytes)}`, where);
}

/** The error for `what` (e.g. `docs/tasks.md is 2,097,152 bytes`) being over MAX_TASK_BYTES. */
export function tooBig(what: string, where: string): InputError {
  return new InputError(
    `${what}, over the 1 MiB limit (${formatBytes(MAX_TASK_BYTES)})`,
    where,
    'Split the tasks across runs, or move long instructions into files in the repository and point the prompts at them',
  );
}

export function formatBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes`;
}

/** Hours in an estimate (`2h`, `1.5h`, `45m`, `1d` = 8 hours, a bare number = hours), or undefined when it is none. */
export function parseEstimate(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const hours = Number(match[1]) * HOURS_PER_UNIT[(match[2] ?? 'h')[0]!.toLowerCase()]!;
  return hours > 0 ? hours : undefined;
}

/** A task's own id. */
export function readTaskId(value: string, where: string): string {
  const control = controlIn(value);
  if (control)
    throw new InputError(`the id ${quote(value)} holds ${control}`, where, `Remove it. ${ID_RULE}`);
  if (!isRef(value)) throw new InputError(`${quote(value)} is not a task id`, where, ID_RULE);
  return value;
}

/** A task's title, refused when it holds a control character: it goes into branch names, PR titles and tables. */
export function readTitle(value: string, task: string, where: string): string {
  const control = controlIn(value);
  if (control) {
    throw new InputError(
      `${task}'s title holds ${control}`,
      where,
      'Remove it: a title is one line of plain text, and longer text belongs in the prompt',
    );
  }
  return value;
}

/** The first control character in `text` other than tab, described for a message (`a control character (U+0000)`). */
export function controlIn(text: string): string | undefined {
  const found = CONTROL.exec(text)?.[0];
  if (found === undefined) return undefined;
  const code = `U+${found.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return found === '\n' || found === '\r' ? `a line break (${code})` : `a control character (${code})`;
}

/** One id in a task's dependencies. */
export function readDependency(value: string, task: string, where: string): string {
  if (!isRef(value)) {
    throw new InputError(`${task} depends on ${quote(value)}, which is not a task id`, where, ID_RULE);
  }
  return value;
}

/** One glob in a task's paths. */
export function readPath(value: string, task: string, where: string): string {
  const glob = value.trim();
  if (!glob) throw emptyPaths(task, where);
  return glob;
}

/** The error for a task whose paths are given but empty. */
export function emptyPaths(task: string, where: string): InputError {
  // No globs would read as "touches anything", the opposite of what an empty list seems to say.
  return new InputError(
    `${task} has an empty paths list`,
    where,
    'List the files it touches as globs, e.g. src/gateway/**, or leave paths out',
  );
}

export function readModel(value: string, task: string, where: string): string {
  if (!MODEL_ID.test(value)) {
    throw new InputError(
      `${task} has model ${quote(value)}, which is not a model id`,
      where,
      "Write the model's id, e.g. claude-sonnet-4-6",
    );
  }
  return value;
}

/** A task's estimate in hours. */
export function readEstimate(value: string | number, task: string, where: string): number {
  const hours = parseEstimate(value);
  if (hours === undefined) {
    throw new InputError(
      `${task} has estimate ${quote(value)}, which is not a duration`,
      where,
      ESTIMATE_RULE,
    );
  }
  return hours;
}

/** A value as it is shown in a message: text in double quotes, cut short when long. */
export function quote(value: string | number): string {
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}
