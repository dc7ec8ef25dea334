import type { Task } from '../tasks/task.js';

const ROLE = `You are one of several engineers working on the same repository at the same time. Each of you has one \
task and your own git worktree of the repository, which is your working directory; nobody else sees your edits.

- Use the tools to look around and to make the change the task asks for. Paths are relative to the repository root; \
never reach outside it.
- Keep to your task: do not fix unrelated things, do not reformat files you do not otherwise change.
- Do not run git commands that change history or branches: your changes are committed for you when you finish.
- When you are done, reply without calling a tool. That reply is your report, read by the maintainers, in the form \
the request asks for: your outcome (\`done\`, \`partial\` or \`blocked\`: say plainly how far you got), a short \
Markdown summary of what you changed and why and how you checked it, the changes, the risks, and what is left for a \
human. The repository's own check may run on your work afterwards; if it fails, you get its output to fix it.`;

/** What the repository says of itself, read from the base commit: the same for every agent. */
export interface RepositoryBrief {
  /** Its instructions for coding agents (`CLAUDE.md`, `AGENTS.md` at its root), each bounded. */
  guides: { file: string; text: string; cutAt?: number }[];
  /** Its top-level entries, folders ending in `/`. */
  layout: string[];
  /** How many more top-level entries there are than `layout` lists. */
  layoutMore?: number;
}

/**
 * The system prompt: the same bytes for every agent of a run, so the prompt cache written by the first request
 * serves every other one. Nothing task-specific may go here.
 */
export function systemPrompt(context: string, instructions: string, repository?: RepositoryBrief): string {
  const parts = [ROLE];
  if (repository?.layout.length) {
    const more = repository.layoutMore ? ` and ${repository.layoutMore} more` : '';
    parts.push(`# The repository\n\nIts top level: ${repository.layout.join(', ')}${more}.`);
  }
  for (const guide of repository?.guides ?? []) {
    const cut = guide.cutAt
      ? `\n\n(${guide.file} goes on past ${guide.cutAt} bytes; read the file for the rest.)`
      : '';
    parts.push(`# The repository's instructions for coding agents (${guide.file})\n\n${guide.text}${cut}`);
  }
  if (instructions) parts.push(`# Instructions from the maintainers\n\n${instructions}`);
  if (context) parts.push(`# Shared context\n\n${context}`);
  return parts.join('\n\n');
}

/** A task this one starts from: its work is already in the worktree. */
export interface Foundation {
  id: string;
  title: string;
  filesChanged: readonly string[];
  /** `dependency` (named in `depends on`) or `overlap` (its `paths` overlap this task's). */
  why: 'dependency' | 'overlap';
}

/** What an agent is told about its task besides the task's own text. */
export interface TaskBrief {
  buildsOn?: readonly Foundation[];
  /** The repository's `verify` command, which will run on the agent's work. */
  verify?: string;
  /** Whether the agent has a shell (`bash`) to run commands with. */
  shell?: boolean;
}

const FILES_NAMED = 20;

/**
 * The first user message: the task itself. Starts with the id so the conversation names its task, then its scope,
 * what it builds on, and the check it will be held to.
 */
export function taskPrompt(task: Task, brief: TaskBrief = {}): string {
  const heading = task.title ? `# ${task.id}: ${task.title}` : `# ${task.id}`;
  const parts = [heading];
  if (task.prompt) parts.push(task.prompt);
  if (task.paths.length) {
    parts.push(
      `## Scope\n\nThis task is about these paths: ${task.paths.map((p) => `\`${p}\``).join(', ')}.`,
    );
  }
  if (brief.buildsOn?.length)
    parts.push(`## What it builds on\n\n${brief.buildsOn.map(foundation).join('\n')}`);
  if (brief.verify) {
    const how = brief.shell
      ? 'You have a shell: run it before you finish.'
      : 'You have no shell to run it, so read the code it checks with care.';
    parts.push(`## The check\n\nWhen you finish, \`${brief.verify}\` runs on your work. ${how}`);
  }
  return parts.join('\n\n');
}

function foundation(f: Foundation): string {
  const files = f.filesChanged.slice(0, FILES_NAMED).map((file) => `\`${file}\``);
  const more = f.filesChanged.length > FILES_NAMED ? ` and ${f.filesChanged.length - FILES_NAMED} more` : '';
  const changed = files.length ? `, which changed ${files.join(', ')}${more}` : '';
  const why = f.why === 'dependency' ? 'it depends on' : 'its paths overlap yours';
  return `- ${f.id}${f.title ? ` (${f.title})` : ''}${changed}: ${why}. Its work is already in your worktree; build on it.`;
}
