import type { ListItem, Nodes, Root } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmTaskListItemFromMarkdown } from 'mdast-util-gfm-task-list-item';
import { gfmTaskListItem } from 'micromark-extension-gfm-task-list-item';
import type { Construct, Extension, State } from 'micromark-util-types';
import { InputError } from '../errors.js';
import {
  checkSize,
  controlIn,
  emptyPaths,
  quote,
  readDependency,
  readEstimate,
  readModel,
  readPath,
  readTitle,
} from './fields.js';
import { findRefs, leadingRef, REF_SOURCE } from './refs.js';
import type { Task, TaskReading } from './task.js';

// What may separate an id from its title: `:`, an em or en dash, or a spaced hyphen.
const TITLE_SEPARATOR = /^\s*(?::|—|–|\s-\s)\s*/;
// A field inside a task, on its own line or as a nested list item: `depends on: BAC-117`, `- paths: src/**`. Only
// these four keys are fields; any other `Key: value` line is prose and stays in the prompt.
const FIELD = /^\s*(?:[-*+]\s+)?(depends[ _]on|paths|model|estimate)\s*:(.*)$/i;
// A list marker and the spaces after it, at the start of an item.
const MARKER = /^(?:[-*+]|\d{1,9}[.)])([ \t]*)/;
// Something written like an id but not one: any case, any number (`bac-2`, `BAC-03`).
const LOOSE_REF = /^([A-Za-z][A-Za-z0-9]*)-(\d+)(?![A-Za-z0-9_]|-[A-Za-z0-9])/;
// Two or more ids separated by commas: `BAC-7, BAC-8`.
const REF_LIST = new RegExp(`^${REF_SOURCE}(?:\\s*,\\s*${REF_SOURCE})+(?![A-Za-z0-9_-])`);
// Markup around an id at the start of an item (the id is the group `id`), and what to change.
const WRAPPERS: { pattern: RegExp; change: string }[] = [
  { pattern: /^\*\*(?<id>.+?)\*\*/, change: 'no bold' },
  { pattern: /^__(?<id>.+?)__/, change: 'no bold' },
  { pattern: /^\*(?<id>[^*]+?)\*/, change: 'no italics' },
  { pattern: /^_(?<id>[^_]+?)_/, change: 'no italics' },
  { pattern: /^(`+)\s*(?<id>.+?)\s*\1(?!`)/, change: 'no backticks' },
  { pattern: /^\[(?<id>[^\]]+)\]\([^)]*\)/, change: 'the id as plain text, not a link' },
  { pattern: /^\[(?<id>[^\]]+)\]/, change: 'no brackets' },
];
// A line outside any list that opens like an item but is not one: a bullet GitHub does not read as a list marker
// (`• BAC-17`), or a marker with no space after it (`-BAC-4`). The id is the group `id`.
const NOT_A_MARKER = new RegExp(
  `^\\s{0,3}(?<marker>[•◦‣▪●·–—]\\s*|[-*+](?=[A-Z])|\\d{1,9}[.)](?=[A-Z]))(?<id>${REF_SOURCE})(?![A-Za-z0-9_]|-[A-Za-z0-9])`,
);
// Inline text is not needed, only the blocks; these constructs are off, which also keeps their worst cases (long runs
// of `*` or `[`) from costing time.
const INLINE_CONSTRUCTS = [
  'attention',
  'autolink',
  'characterEscape',
  'characterReference',
  'codeText',
  'hardBreakEscape',
  'htmlText',
  'labelEnd',
  'labelStartImage',
  'labelStartLink',
];
/**
 * How long reading the blocks of one Markdown text may take. Ordinary text takes about 3 s a MiB (an issue body, at
 * most 65,536 characters, a fraction of a second); some shapes (thousands of lazy lines under one `>`, a line of
 * hundreds of nested `1.` lists) slow the parser down with the square of their length, and are stopped here rather
 * than holding the job for minutes.
 */
const MARKDOWN_TIME_LIMIT_MS = 10_000;

type FieldName = 'depends on' | 'paths' | 'model' | 'estimate';

/** A list item that starts with an id. */
interface TaskItem {
  id: string;
  /** Null for a checked item: done, so its lines are dropped. */
  task: Task | null;
  node: ListItem;
  /** The line holding the id and title. */
  titleLine: number;
  /** Leading whitespace of the item's lines that is only the item's own indentation. */
  indent: number;
  /** The line each field was given on, to name both when one is given twice. */
  fields: Map<FieldName, number>;
}

/** An item written almost like a task: what it says, the id it probably meant, and what to change. */
interface LookAlike {
  line: number;
  text: string;
  ids: string[];
  change: string;
  /** Only the case of the team key is wrong (`bac-2`). */
  caseOnly: boolean;
  /** Written `id: title`, with a separator after the id. */
  titled: boolean;
  /** Names ids somewhere in its line rather than starting with one: not a slip when each id is a task anyway. */
  mentions?: boolean;
}

export interface MarkdownOptions {
  /** How long reading the text may take before it is refused; default 10 s. */
  timeLimitMs?: number;
}

/**
 * Tasks from Markdown, read as GitHub renders it (CommonMark with GFM task list items): every list item that starts
 * with an id is a task, its other lines are its prompt except `depends on:`, `paths:`, `model:` and `estimate:` lines,
 * which are its fields; a checked item (`- [x]`) is done and left out with its fields, and dependencies on it are
 * dropped with a note. Items inside HTML comments and code blocks are not tasks; HTML comments are left out of
 * prompts and of the context; every other line outside the tasks is context shared by all agents. Items written
 * almost like a task (`**BAC-5**`, `bac-2`, `BAC-7, BAC-8`) are context, with a warning saying what to write instead.
 *
 * `depends on: BAC-117, BAC-118` takes ids separated by commas or spaces (`depends_on:` is the same key), `paths:`
 * takes globs separated by commas, `estimate:` takes `2h`, `1.5h`, `30m`, `1d` (8 hours) or a number of hours. Keys
 * are case-insensitive and need their colon.
 */
export function parseMarkdownTasks(
  markdown: string,
  where: string,
  options: MarkdownOptions = {},
): TaskReading {
  checkSize(markdown, where);
  const text = markdown.replace(/\r\n?/g, '\n');
  const lines = text.split('\n');
  const tree = parseBlocks(text, where, options.timeLimitMs ?? MARKDOWN_TIME_LIMIT_MS);
  const { items, lookAlikes, verbatim, comments } = readBlocks(tree, text, where);

  // Each line belongs to the innermost task item holding it; -1 is context.
  const owner = new Int32Array(lines.length + 2).fill(-1);
  const lineOf = new Map<string, number>();
  items.forEach((item, index) => {
    const seen = lineOf.get(item.id);
    const line = item.node.position!.start.line;
    if (seen !== undefined) {
      throw new InputError(
        `${item.id} is listed twice (lines ${seen} and ${line})`,
        where,
        'Keep one item per id, or give the second task its own id',
      );
    }
    lineOf.set(item.id, line);
    owner.fill(index, line, item.node.position!.end.line + 1);
  });

  items.forEach((item, index) => {
    if (!item.task) return;
    // Null for a line that is not the prompt's: a field, a comment, a nested task.
    const prompt: (string | null)[] = [];
    for (let n = item.titleLine + 1; n <= item.node.position!.end.line; n++) {
      const line = lines[n - 1]!;
      const field = owner[n] === index && !verbatim.has(n) && FIELD.exec(line);
      if (field) readField(item, field[1]!, field[2]!, `${where} line ${n}`, n);
      prompt.push(owner[n] !== index || comments.has(n) || field ? null : stripIndent(line, item.indent));
    }
    item.task.prompt = dedent(keptLines(prompt)).trim();
  });
  const context = keptLines(
    lines.map((line, i) => (owner[i + 1] === -1 && !comments.has(i + 1) ? line : null)),
  );

  const tasks = items.flatMap((item) => (item.task ? [item.task] : []));
  const done = items.filter((item) => !item.task);
  // An id in the wrong case is taken for a slip only beside tasks of the same team, or written `id: title`:
  // otherwise `utf-8` or `sha-256` opening an item would be read as one.
  const teams = new Set(items.map((item) => teamOf(item.id)));
  const ids = new Set(items.map((item) => item.id));
  const slips = lookAlikes
    .map((alike) => (alike.mentions ? { ...alike, ids: alike.ids.filter((id) => !ids.has(id)) } : alike))
    .filter(
      (alike) =>
        alike.ids.length > 0 &&
        (!alike.caseOnly || alike.ids.some((id) => teams.has(teamOf(id))) || alike.titled),
    );
  if (!tasks.length) throw noTasks(where, done.length > 0, slips[0]);

  const notes: string[] = [];
  for (const { id } of done) {
    const waiting = tasks.filter((task) => task.dependsOn.includes(id));
    for (const task of waiting) task.dependsOn = task.dependsOn.filter((d) => d !== id);
    notes.push(
      `${id} is checked as done; skipped` +
        (waiting.length
          ? ` (${waiting.map((t) => t.id).join(', ')} no longer ${waiting.length === 1 ? 'waits' : 'wait'} for it)`
          : ''),
    );
  }

  return {
    set: { context: context.join('\n').trim(), tasks, source: where },
    notes,
    warnings: slips.map((alike) => `${where} line ${alike.line}: ${describeLookAlike(alike)}`),
  };
}

/** The block structure of `text`, or an InputError when reading it takes longer than `limitMs`. */
function parseBlocks(text: string, where: string, limitMs: number): Root {
  const deadline = performance.now() + limitMs;
  // Tried (and always failing) wherever a block may start, so a slow text is stopped within about one line.
  const clock: Construct = {
    name: 'timeLimit',
    tokenize(_effects, _ok, nok): State {
      if (performance.now() > deadline) throw new OverTime(this.now().line);
      return nok;
    },
  };
  const limit: Extension = {
    document: { null: [clock] },
    contentInitial: { null: [clock] },
    flow: { null: [clock] },
    disable: { null: INLINE_CONSTRUCTS },
  };
  try {
    return fromMarkdown(text, {
      extensions: [gfmTaskListItem(), limit],
      mdastExtensions: [gfmTaskListItemFromMarkdown()],
    });
  } catch (error) {
    if (!(error instanceof OverTime)) throw error;
    throw new InputError(
      `the Markdown takes too long to read (over ${limitMs / 1000} s, stopped at line ${error.line})`,
      where,
      'Indent the lines of each item under its bullet, start each quoted line with `>`, and nest lists and quotes less deeply',
    );
  }
}

class OverTime extends Error {
  constructor(readonly line: number) {
    super(`Markdown took too long to read, stopped at line ${line}`);
  }
}

/**
 * The task items of the tree in document order (an item nested in another is a task of its own), the items written
 * almost like tasks outside them, the lines of code blocks and raw HTML (no field is read there), and the lines of
 * HTML comments.
 */
function readBlocks(
  tree: Root,
  text: string,
  where: string,
): { items: TaskItem[]; lookAlikes: LookAlike[]; verbatim: Set<number>; comments: Set<number> } {
  const items: TaskItem[] = [];
  const lookAlikes: LookAlike[] = [];
  const verbatim = new Set<number>();
  const comments = new Set<number>();
  // Depth-first without recursion, so deep nesting cannot overflow the stack. Lists are searched for tasks at any
  // depth, but not inside block quotes: quoted text is someone else's. Look-alikes inside a task are its prompt.
  const stack: { node: Nodes; search: boolean; inTask: boolean }[] = [
    { node: tree, search: true, inTask: false },
  ];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { node, search } = next;
    let { inTask } = next;
    const position = node.position;
    if (position && (node.type === 'code' || node.type === 'html')) {
      const lines = range(position.start.line, position.end.line);
      lines.forEach((n) => verbatim.add(n));
      if (node.type === 'html' && isOnlyComments(node.value)) lines.forEach((n) => comments.add(n));
    }
    if (node.type === 'paragraph' && search && !inTask && position) {
      lookAlikes.push(
        ...unmarkedItems(text, position.start.offset!, position.end.offset!, position.start.line),
      );
    }
    if (node.type === 'listItem' && search) {
      const item = readItem(node, text, where);
      if (item && 'id' in item) {
        items.push(item);
        inTask = true;
      } else if (item && !inTask && node.checked !== true) {
        lookAlikes.push(item);
      }
    }
    if ('children' in node) {
      // A list item's own paragraph is read with the item: the rest of its lines are searched as paragraphs.
      const searchChildren =
        search && (node.type === 'root' || node.type === 'list' || node.type === 'listItem');
      const children = node.children as Nodes[];
      for (let i = children.length - 1; i >= 0; i--) {
        stack.push({ node: children[i]!, search: searchChildren, inTask });
      }
    }
  }
  return { items, lookAlikes, verbatim, comments };
}

/** The task an item holds, what it looks like when it is almost one, or undefined. */
function readItem(node: ListItem, text: string, where: string): TaskItem | LookAlike | undefined {
  const paragraph = node.children[0];
  const first = paragraph?.type === 'paragraph' ? paragraph.children[0] : undefined;
  const start = first?.position?.start;
  if (!start || start.offset === undefined) return undefined;
  const end = text.indexOf('\n', start.offset);
  const head = text.slice(start.offset, end === -1 ? undefined : end).trimStart();

  const lead = leadingRef(head);
  const line = start.line;
  const at = `${where} line ${line}`;
  if (!lead) return lookAlike(head, line);
  const control = controlIn(lead.rest.slice(0, 1));
  if (control) {
    throw new InputError(
      `the id ${lead.ref} is followed by ${control}`,
      at,
      "Remove it: an item's first line is its id and title, in plain text",
    );
  }
  if (lead.rest !== '' && !/^\s|^[:—–]/.test(lead.rest)) return lookAlike(head, line);

  const id = lead.ref;
  const title = lead.rest.replace(TITLE_SEPARATOR, '').trim();
  return {
    id,
    // A checked item is done, and left out whatever it holds.
    task: node.checked
      ? null
      : {
          id,
          title: readTitle(title, id, at),
          prompt: '',
          dependsOn: [],
          paths: [],
          where: `${where} line ${node.position!.start.line}`,
        },
    node,
    titleLine: line,
    indent: contentIndent(node, text),
    fields: new Map(),
  };
}

/** Lines of a paragraph (from `start` to `end` in `text`) written like task items that are not list items. */
function unmarkedItems(text: string, start: number, end: number, firstLine: number): LookAlike[] {
  const found: LookAlike[] = [];
  text
    .slice(start, end)
    .split('\n')
    .forEach((line, i) => {
      const match = NOT_A_MARKER.exec(line);
      if (!match) return;
      const id = match.groups!.id!;
      const change = /^[-*+\d]/.test(match.groups!.marker!)
        ? 'a space after the marker'
        : 'a `-` list marker';
      found.push({
        line: firstLine + i,
        text: line.trim(),
        ids: [id],
        change,
        caseOnly: false,
        titled: false,
      });
    });
  return found;
}

/** How an item that is not a task looks like one, if it does. */
function lookAlike(head: string, line: number): LookAlike | undefined {
  const several = REF_LIST.exec(head);
  if (several) {
    const ids = several[0].split(/\s*,\s*/);
    return { line, text: several[0], ids, change: 'one item per id', caseOnly: false, titled: false };
  }
  let wrapped: { match: RegExpExecArray; change: string } | undefined;
  for (const { pattern, change } of WRAPPERS) {
    const match = pattern.exec(head);
    if (match) {
      wrapped = { match, change };
      break;
    }
  }
  const inner = wrapped ? wrapped.match.groups!.id!.trim() : head;
  const loose = LOOSE_REF.exec(inner);
  if (!loose) return namesIds(head, line);
  const after = wrapped ? head.slice(wrapped.match[0].length) : inner.slice(loose[0].length);
  if (after !== '' && !/^\s|^[:—–]/.test(after)) return undefined;
  const key = loose[1]!;
  const number = loose[2]!.replace(/^0+/, '');
  if (!number) return undefined;

  const changes = wrapped ? [wrapped.change] : [];
  if (key !== key.toUpperCase()) changes.push('team key in capitals');
  if (number !== loose[2]) changes.push('no leading zero');
  if (!changes.length) return undefined;
  return {
    line,
    text: wrapped ? wrapped.match[0] : loose[0],
    ids: [`${key.toUpperCase()}-${number}`],
    change: changes.join(', '),
    caseOnly: !wrapped && number === loose[2],
    titled: TITLE_SEPARATOR.test(after),
  };
}

/** An item that names ids in its first line without starting with one (`- Fix BAC-11 please`). */
function namesIds(head: string, line: number): LookAlike | undefined {
  const ids = [...new Set(findRefs(head))];
  if (!ids.length) return undefined;
  return {
    line,
    text: head.trim(),
    ids,
    change: 'the id first',
    caseOnly: false,
    titled: false,
    mentions: true,
  };
}

function describeLookAlike(alike: LookAlike): string {
  if (alike.mentions) {
    return (
      `${quote(alike.text)} names ${alike.ids.join(', ')} but is not a task: ` +
      `start the item with the id (${alike.ids.map((id) => `\`- ${id}: title\``).join(', ')}) to make it one`
    );
  }
  if (alike.ids.length > 1) {
    return (
      `${quote(alike.text)} looks like several tasks in one item: write ${alike.change} ` +
      `(${alike.ids.map((id) => `\`- ${id}: title\``).join(', ')}) to make them tasks`
    );
  }
  return `${quote(alike.text)} looks like a task but is not one: write \`- ${alike.ids[0]}: title\` (${alike.change}) to make it a task`;
}

function noTasks(where: string, someDone: boolean, alike: LookAlike | undefined): InputError {
  if (someDone)
    return new InputError('every task is checked as done', where, 'Uncheck (`- [ ]`) the tasks to run');
  if (alike) {
    return new InputError(
      `no task found; line ${alike.line} has ${quote(alike.text)}, which looks like one`,
      where,
      alike.ids.length > 1
        ? `Write ${alike.change} (${alike.ids.map((id) => `\`- ${id}: title\``).join(', ')})`
        : `Write \`- ${alike.ids[0]}: title\` (${alike.change})`,
    );
  }
  return new InputError(
    'no task found',
    where,
    'List each task as a Markdown item that starts with its id, e.g. `- BAC-124: Fix model routing`',
  );
}

function readField(item: TaskItem, key: string, text: string, where: string, line: number): void {
  const task = item.task!;
  const name: FieldName = /^depends/i.test(key) ? 'depends on' : (key.toLowerCase() as FieldName);
  const first = item.fields.get(name);
  if (first !== undefined) {
    const list = name === 'depends on' || name === 'paths';
    throw new InputError(
      `${task.id} gives ${name} twice (lines ${first} and ${line})`,
      where,
      list ? 'Put all of them on one line, separated by commas' : 'Keep one of them',
    );
  }
  item.fields.set(name, line);

  const value = text.trim();
  switch (name) {
    case 'depends on': {
      const ids = value.split(/[\s,]+/).filter(Boolean);
      if (!ids.length) {
        throw new InputError(
          `${task.id} has "depends on:" with no ids`,
          where,
          'List the ids it waits for, e.g. `depends on: BAC-117, BAC-118`, or remove the line',
        );
      }
      task.dependsOn = [...new Set(ids.map((id) => readDependency(unquote(id), task.id, where)))];
      break;
    }
    case 'paths': {
      const globs = splitGlobs(value)
        .map((glob) => unquote(glob.trim()))
        .filter(Boolean);
      if (!globs.length) throw emptyPaths(task.id, where);
      task.paths = globs.map((glob) => readPath(glob, task.id, where));
      break;
    }
    case 'model':
      task.model = readModel(unquote(value), task.id, where);
      break;
    case 'estimate':
      task.estimate = readEstimate(unquote(value), task.id, where);
      break;
  }
}

/** Globs separated by commas, except the commas of a `{a,b}` alternation. */
function splitGlobs(text: string): string[] {
  const globs: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      globs.push(text.slice(start, i));
      start = i + 1;
    }
  }
  globs.push(text.slice(start));
  return globs;
}

/** `text` without the backticks or quotes around it, as in ``paths: `src/**` ``. */
function unquote(text: string): string {
  return /^([`'"])(.*)\1$/.exec(text)?.[2]?.trim() ?? text;
}

/** Whether an HTML block holds nothing but comments, which GitHub does not show. */
function isOnlyComments(html: string): boolean {
  return html.replace(/<!--[\s\S]*?-->/g, '').trim() === '';
}

/** How many characters of an item's lines, from the start of the line, are indentation up to its content. */
function contentIndent(node: ListItem, text: string): number {
  const start = node.position!.start;
  const marker = MARKER.exec(text.slice(start.offset, start.offset! + 20));
  if (!marker) return start.column - 1;
  const spaces = marker[1]!.length;
  // Five spaces or more after the marker are one space and an indented code block.
  const gap = spaces === 0 || spaces > 4 ? 1 : spaces;
  return start.column - 1 + marker[0].length - spaces + gap;
}

function stripIndent(line: string, indent: number): string {
  let cut = 0;
  while (cut < indent && (line[cut] === ' ' || line[cut] === '\t')) cut++;
  return line.slice(cut);
}

/**
 * The lines that are not null. Where lines were taken out between two blank lines, one blank line is kept, so the
 * text around a removed item keeps its paragraphs and nothing else changes.
 */
function keptLines(lines: (string | null)[]): string[] {
  const kept: string[] = [];
  let removed = false;
  for (const line of lines) {
    if (line === null) {
      removed = true;
      continue;
    }
    const blank = line.trim() === '';
    if (!(blank && removed && kept.length && kept.at(-1)!.trim() === '')) kept.push(line);
    if (!blank) removed = false;
  }
  return kept;
}

function teamOf(id: string): string {
  return id.slice(0, id.lastIndexOf('-'));
}

function dedent(lines: string[]): string {
  // A loop, not Math.min(...indents): a long prompt would overflow the argument list.
  let cut = Infinity;
  for (const line of lines) if (line.trim()) cut = Math.min(cut, /^\s*/.exec(line)![0].length);
  return lines.map((l) => l.slice(cut === Infinity ? 0 : cut)).join('\n');
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
