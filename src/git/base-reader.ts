import type { BaseReader } from '../model/repository-brief.js';
import { git } from './runner.js';

/** Reads the repository at `rev` (its checkout's HEAD, the agents' base) without touching a working tree. */
export function baseReader(repo: string, rev = 'HEAD'): BaseReader {
  return {
    // Only a blob: a folder or link named CLAUDE.md is not a guide.
    file: async (path) => {
      const type = await git(repo, ['cat-file', '-t', `${rev}:${path}`]).catch(() => '');
      return type.trim() === 'blob' ? git(repo, ['cat-file', 'blob', `${rev}:${path}`]) : undefined;
    },
    topLevel: async () =>
      (await git(repo, ['ls-tree', '-z', rev]))
        .split('\0')
        .filter(Boolean)
        .map((entry) => {
          const [meta = '', name = ''] = entry.split('\t');
          return meta.split(' ')[1] === 'tree' ? `${name}/` : name;
        }),
  };
}
