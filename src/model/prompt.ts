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

/**
 * The system prompt: the same bytes for every agent of a run, so the prompt cache written by the first request
 * serves every other one. Nothing task-specific may go here.
 */
export function systemPrompt(context: string, instructions: string): string {
  const parts = [ROLE];
  if (instructions) parts.push(`# Instructions from the maintainers\n\n${instructions}`);
  if (context) parts.push(`# Shared context\n\n${context}`);
  return parts.join('\n\n');
}

/** The first user message: the task itself. Starts with the id so the conversation names its task. */
export function taskPrompt(task: Task): string {
  const heading = task.title ? `# ${task.id}: ${task.title}` : `# ${task.id}`;
  return task.prompt ? `${heading}\n\n${task.prompt}` : heading;
}
