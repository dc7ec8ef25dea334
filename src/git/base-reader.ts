import type { BaseReader } from '../model/repository-brief.js';
import { git } from './runner.js';

/** Reads the repository at `rev` (its checkout's HEAD, the agents' base) without touching a working tree. */
export function baseReader(repo: string, rev = 'HEAD'): BaseReader {
  return {
    file: (path) => git(repo, ['cat-file', 'blob', `${rev}:${path}`]).catch(() => undefined),
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
