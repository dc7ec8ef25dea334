import type { Task } from '../tasks/task.js';

/** Every agent branch lives under this prefix, e.g. `parallel-agents/bac-124-fix-model-routing`. */
export const BRANCH_PREFIX = 'parallel-agents/';

/** Longest title slug in a branch name; long enough to recognise the task, short enough to read in a list. */
const MAX_TITLE_SLUG = 40;

/**
 * Branch for a task: the lower-cased id, then a slug of the title. Only ASCII letters, digits and single inner
 * hyphens survive, so the name is a valid ref whatever the title holds (`..`, `.lock`, slashes, emoji).
 */
export function branchName(task: Pick<Task, 'id' | 'title'>): string {
  const parts = [slug(task.id), truncateAtWord(slug(task.title), MAX_TITLE_SLUG)].filter(
    (part) => part !== '',
  );
  return BRANCH_PREFIX + (parts.join('-') || 'task');
}

/** Lower-case ASCII letters and digits, with single hyphens between runs of them. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      // Decompose accents so `café` keeps its `e`; everything else outside a-z0-9 becomes a hyphen.
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
  );
}

function truncateAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  // Look one character past the limit: a hyphen there means a word ends exactly at it.
  const boundary = text.slice(0, max + 1).lastIndexOf('-');
  // A single very long word is cut mid-word rather than dropping most of the title.
  return boundary >= max / 2 ? text.slice(0, boundary) : text.slice(0, max);
}
