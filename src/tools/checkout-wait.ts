import { isAbsolute, posix } from 'node:path';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { globDirectories } from '../tasks/globs.js';
import { abortable } from '../model/model-gate.js';
import type { Worktree } from '../git/workspace.js';

/**
 * The tool, each call first waiting until what it touches is checked out in its worktree (see `Worktree.ready`): a
 * worktree's files arrive while the agent's first request is out, the task's own `paths` first.
 */
export function afterCheckout(
  tool: BetaRunnableTool,
  ready: NonNullable<Worktree['ready']>,
): BetaRunnableTool {
  return {
    ...tool,
    run: async (input, context) => {
      await abortable(ready(touchedPaths(tool.name, input)), context?.signal);
      return tool.run(input, context);
    },
  };
}

/**
 * What one call of the tool `name` reads or writes: file paths, and directories ending in `/`. Undefined when it may
 * touch anything (`bash`, a search of the whole tree).
 */
export function touchedPaths(name: string, input: unknown): string[] | undefined {
  const fields = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const text = (key: string) => {
    const value = fields[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const directory = (path: string) => `${path.replace(/\/+$/, '')}/`;
  switch (name) {
    case 'read':
    case 'write':
    case 'edit': {
      const file = text('file_path');
      return file === undefined ? undefined : [file];
    }
    case 'grep': {
      const path = text('path');
      return path === undefined ? undefined : [directory(path)];
    }
    case 'glob': {
      const pattern = text('pattern');
      const path = text('path');
      if (pattern === undefined) return undefined;
      if (path !== undefined && isAbsolute(path)) return [directory(path)];
      // Only the directories the pattern can reach: `src/api/**/*.ts` searches `src/api`.
      return globDirectories([posix.join(path ?? '', pattern)])?.map(directory);
    }
    default:
      return undefined;
  }
}
