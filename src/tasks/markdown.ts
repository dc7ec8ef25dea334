import { InputError } from '../errors.js';
import { checkSize, emptyPaths, readDependency, readEstimate, readModel, readPath } from './fields.js';
import { leadingRef } from './refs.js';
import type { Task, TaskSet } from './task.js';

// A list item: indentation, a bullet (`-`, `*`, `+` or `1.`), an optional checkbox, then the item's text.
const ITEM = /^(\s*)(?:[-*+]|\d{1,9}[.)])\s+(?:\[([ xX])\]\s+)?(.*)$/;
// What may separate an id from its title: `:`, an em or en dash, or a spaced hyphen.
const TITLE_SEPARATOR = /^\s*(?::|—|–|\s-\s)\s*/;
// A field inside a task, on its own line or as a nested list item: `depends on: BAC-117`, `- paths: src/**`. Only
// these four keys are fields; any other `Key: value` line is prose and stays in the prompt.
const FIELD = /^\s*(?:[-*+]\s+)?(depends[ _]on|paths|model|estimate)\s*:(.*)$/i;
// The opening line of a fenced code block; nothing inside one is a task or a field.
const FENCE = /^\s*(`{3,}|~{3,})/;

type FieldName = 'depends on' | 'paths' | 'model' | 'estimate';

interface Item {
  /** Null for a checked item: done, so its lines are dropped. */
  task: Task | null;
  indent: number;
  prompt: string[];
  /** The line each field was given on, to name both when one is given twice. */
  fields: Map<FieldName, number>;
}

/**
 * Tasks from Markdown: every list item that starts with an id is a task, the lines indented under it are its prompt
 * except `depends on:`, `paths:`, `model:` and `estimate:` lines, which are its fields; a checked item (`- [x]`) is
 * done and left out with its fields; every other line is context shared by all agents.
 *
 * `depends on: BAC-117, BAC-118` takes ids separated by commas or spaces (`depends_on:` is the same key), `paths:`
 * takes globs separated by commas, `estimate:` takes `2h`, `1.5h`, `30m`, `1d` (8 hours) or a number of hours. Keys
 * are case-insensitive and need their colon.
 */
export function parseMarkdownTasks(markdown: string, where: string): TaskSet {
  checkSize(markdown, where);
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const tasks: Task[] = [];
  const context: string[] = [];
  const lineOf = new Map<string, number>();
  let current: Item | undefined;
  // The code block being read: the marker that closes it.
  let fence: string | undefined;

  const close = () => {
    if (current?.task) current.task.prompt = dedent(current.prompt).trim();
    current = undefined;
  };

  lines.forEach((line, i) => {
    const blank = line.trim() === '';
    if (fence !== undefined) {
      if (!current || blank || indentOf(line) > current.indent) {
        (current ? current.prompt : context).push(line);
        if (closesFence(line, fence)) fence = undefined;
        return;
      }
      // Back at the item's indentation: the item has ended, and its code block with it.
      fence = undefined;
    }

    const item = ITEM.exec(line);
    const head = item && leadingRef(item[3]!);
    if (item && head && (head.rest === '' || /^\s|^[:—–]/.test(head.rest))) {
      close();
      const id = head.ref;
      const title = head.rest.replace(TITLE_SEPARATOR, '').trim();
      const done = item[2] === 'x' || item[2] === 'X';
      const seen = lineOf.get(id);
      if (seen !== undefined) {
        throw new InputError(
          `${id} is listed twice (lines ${seen} and ${i + 1})`,
          where,
          'Keep one item per id, or give the second task its own id',
        );
      }
      lineOf.set(id, i + 1);
      current = {
        task: done
          ? null
          : { id, title, prompt: '', dependsOn: [], paths: [], where: `${where} line ${i + 1}` },
        indent: item[1]!.length,
        prompt: [],
        fields: new Map(),
      };
      if (current.task) tasks.push(current.task);
      return;
    }

    // Lines indented deeper than the item's bullet (and blank lines between them) belong to the item.
    if (current && (blank || indentOf(line) > current.indent)) {
      fence = FENCE.exec(line)?.[1];
      const field = fence === undefined && FIELD.exec(line);
      if (field) {
        if (current.task) readField(current, field[1]!, field[2]!, `${where} line ${i + 1}`, i + 1);
      } else {
        current.prompt.push(line);
      }
      return;
    }

    close();
    fence = FENCE.exec(line)?.[1];
    context.push(line);
  });
  close();

  if (!tasks.length) {
    throw new InputError(
      lineOf.size ? 'every task is checked as done' : 'no task found',
      where,
      lineOf.size
        ? 'Uncheck (`- [ ]`) the tasks to run'
        : 'List each task as a Markdown item that starts with its id, e.g. `- BAC-124: Fix model routing`',
    );
  }
  return { context: context.join('\n').trim(), tasks, source: where };
}

function readField(item: Item, key: string, text: string, where: string, line: number): void {
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

function closesFence(line: string, marker: string): boolean {
  const close = /^\s*(`{3,}|~{3,})\s*$/.exec(line)?.[1];
  return close !== undefined && close[0] === marker[0] && close.length >= marker.length;
}

function indentOf(line: string): number {
  return /^\s*/.exec(line)![0].length;
}

function dedent(lines: string[]): string {
  // A loop, not Math.min(...indents): a long prompt would overflow the argument list.
  let cut = Infinity;
  for (const line of lines) if (line.trim()) cut = Math.min(cut, indentOf(line));
  return lines.map((l) => l.slice(cut === Infinity ? 0 : cut)).join('\n');
}
