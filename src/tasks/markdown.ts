import { InputError } from '../errors.js';
import { leadingRef } from './refs.js';
import type { Task, TaskSet } from './task.js';

// A list item: indentation, a bullet (`-`, `*`, `+` or `1.`), an optional checkbox, then the item's text.
const ITEM = /^(\s*)(?:[-*+]|\d{1,9}[.)])\s+(?:\[([ xX])\]\s+)?(.*)$/;
// What may separate an id from its title: `:`, an em or en dash, or a spaced hyphen.
const TITLE_SEPARATOR = /^\s*(?::|—|–|\s-\s)\s*/;

/**
 * Tasks from Markdown: every list item that starts with an id is a task, the lines indented under it are its prompt,
 * a checked item (`- [x]`) is done and left out, and every other line is context shared by all agents.
 */
export function parseMarkdownTasks(markdown: string, where: string): TaskSet {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const tasks: Task[] = [];
  const context: string[] = [];
  const lineOf = new Map<string, number>();
  // The item being read: its task (null when it is a checked one, whose lines are dropped) and its indentation.
  let current: { task: Task | null; indent: number; prompt: string[] } | undefined;

  const close = () => {
    if (current?.task) current.task.prompt = dedent(current.prompt).trim();
    current = undefined;
  };

  lines.forEach((line, i) => {
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
        task: done ? null : { id, title, prompt: '', dependsOn: [], paths: [] },
        indent: item[1]!.length,
        prompt: [],
      };
      if (current.task) tasks.push(current.task);
      return;
    }
    // Lines indented deeper than the item's bullet (and blank lines between them) belong to the item.
    if (current && (line.trim() === '' || indentOf(line) > current.indent)) {
      current.prompt.push(line);
      return;
    }
    close();
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

function indentOf(line: string): number {
  return /^\s*/.exec(line)![0].length;
}

function dedent(lines: string[]): string {
  const indents = lines.filter((l) => l.trim()).map(indentOf);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}
