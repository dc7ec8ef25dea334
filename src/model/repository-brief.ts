import type { RepositoryBrief } from './prompt.js';

/** The files coding agents read for a repository's own conventions, as Claude Code and Codex do, in that order. */
const GUIDES = ['CLAUDE.md', 'AGENTS.md'];
/** Enough for a real guide; a longer one is cut with a note, so one file cannot crowd out the task. */
const GUIDE_MAX_BYTES = 16_384;
const LAYOUT_MAX = 60;

/** How the brief reads the base commit: a file's text (undefined when absent) and the top-level entries. */
export interface BaseReader {
  file(path: string): Promise<string | undefined>;
  /** Top-level entries, folders ending in `/`. */
  topLevel(): Promise<string[]>;
}

/** The repository's guides for coding agents and its top-level layout, bounded, from the base commit. */
export async function readRepositoryBrief(base: BaseReader): Promise<RepositoryBrief> {
  // The layout first: a guide it does not list is not read, which saves a git process a guide most runs.
  const layout = await base.topLevel();
  const texts = await Promise.all(
    GUIDES.map((file) => (layout.includes(file) ? base.file(file) : undefined)),
  );
  const guides: RepositoryBrief['guides'] = [];
  GUIDES.forEach((file, i) => {
    const text = texts[i];
    if (text === undefined || text.trim() === '') return;
    // Both names for one file (a link from AGENTS.md to CLAUDE.md, say) are given once.
    if (guides.some((g) => g.text === boundText(text).text)) return;
    guides.push({ file, ...boundText(text) });
  });
  return {
    guides,
    layout: layout.slice(0, LAYOUT_MAX),
    ...(layout.length > LAYOUT_MAX ? { layoutMore: layout.length - LAYOUT_MAX } : {}),
  };
}

function boundText(text: string): { text: string; cutAt?: number } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= GUIDE_MAX_BYTES) return { text: text.trimEnd() };
  // Cut at a line end where there is one, and never inside a character.
  const head = bytes
    .subarray(0, GUIDE_MAX_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  const lineEnd = head.lastIndexOf('\n');
  return { text: (lineEnd > 0 ? head.slice(0, lineEnd) : head).trimEnd(), cutAt: GUIDE_MAX_BYTES };
}
