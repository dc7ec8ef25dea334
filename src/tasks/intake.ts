import { InputError } from '../errors.js';
import { resolveLinearTasks } from './linear.js';
import { parseMarkdownTasks } from './markdown.js';
import { splitOneLine } from './one-line.js';
import type { TaskReading } from './task.js';

/** Where tasks may come from, in the order they win. */
export interface TaskSources {
  /** The `tasks` input: Markdown. */
  tasks: string;
  /** The `tasks-file` input: a path in the repository. */
  tasksFile: string;
  /** The checkout `tasksFile` is read from. */
  workspace: string;
  /** The issue or PR body, read only when neither input is given. */
  issue: () => Promise<{ text: string; where: string } | undefined>;
  /** With a key, ids are resolved against Linear. */
  linear?: { apiKey: string; apiUrl?: string };
}

/**
 * The tasks, from the first source given: `tasks`, then `tasks-file`, then the issue or PR body; then filled in from
 * Linear when a key is given. `notes` are for the log (which source was used, what was skipped as done in the list or
 * in Linear); `warnings` name input that was probably meant otherwise, such as an item that looks like a task but is
 * not one.
 */
export async function readTaskSet(sources: TaskSources): Promise<TaskReading> {
  let reading: TaskReading;
  if (sources.tasks.trim()) {
    const where = 'input `tasks`';
    reading = parseMarkdownTasks(splitOneLine(sources.tasks, where, { linear: !!sources.linear }), where);
  } else if (sources.tasksFile) {
    // Loaded only for a file: its YAML parser is a tenth of the bundle, and most runs read Markdown.
    const { readTaskFile } = await import('./task-file.js');
    reading = await readTaskFile(sources.workspace, sources.tasksFile);
  } else {
    const issue = await sources.issue();
    if (!issue) {
      throw new InputError(
        'no tasks were given',
        'inputs `tasks`, `tasks-file` and `issue-number`',
        'Give `tasks` (Markdown), `tasks-file` (a path in the repository), or run on an issue whose body lists the tasks',
      );
    }
    reading = parseMarkdownTasks(issue.text, issue.where);
  }
  let set = reading.set;
  const notes = [
    `${set.tasks.length} ${set.tasks.length === 1 ? 'task' : 'tasks'} from ${set.source}`,
    ...reading.notes,
  ];
  if (sources.linear) {
    const resolved = await resolveLinearTasks(set, sources.linear);
    set = resolved.set;
    notes.push(...resolved.notes);
    if (!set.tasks.length) {
      throw new InputError(
        'every task is completed or canceled in Linear, so none is left to run',
        set.source,
        'List tasks that are still open, or leave `linear-api-key` out to run them as written',
      );
    }
  }
  return { set, notes, warnings: reading.warnings };
}
