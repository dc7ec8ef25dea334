import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pLimit from 'p-limit';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { betaGlobTool, resolvePath } from '@anthropic-ai/sdk/tools/agent-toolset/node';

/** Longest a glob may run before its thread is stopped. */
const GLOB_TIMEOUT_MS = 30_000;
/** Heap of one glob's thread: enough for 50,000 matches, not for a pattern that expands without end. */
const GLOB_HEAP_MB = 256;
// As in the SDK's glob: entries walked at most, and matches returned.
const WALK_MAX_ENTRIES = 50_000;
const GLOB_RESULT_LIMIT = 200;

// One thread per glob, and no more of them at once than the runner has cores.
const threads = pLimit(os.availableParallelism());

export interface GlobToolOptions {
  workdir: string;
  /** Longest a glob may run; 30 s by default. */
  timeoutMs?: number;
}

/**
 * The SDK's `glob` tool — the same name, description and input schema, the same answers and errors — with the
 * matching on a worker thread. On the main thread the native `fs.glob` expands braces and runs its pattern's
 * regular expressions synchronously: `{1..100000}/*` or a backtracking extglob such as `+(a|aa)+(a|aa)…b` blocks every
 * agent of the run for minutes. A thread can be stopped when it runs too long; the run's event loop never waits on it.
 */
export function globTool(options: GlobToolOptions): BetaRunnableTool {
  const ctx = { workdir: options.workdir };
  const timeoutMs = options.timeoutMs ?? GLOB_TIMEOUT_MS;
  return {
    ...betaGlobTool(ctx),
    run: async (input: { pattern?: string; path?: string }, context) => {
      const { pattern, path: searchPath } = input ?? {};
      // The SDK's checks, with its messages.
      if (!pattern) throw new ToolError('glob: pattern is required');
      if (path.isAbsolute(pattern)) {
        throw new ToolError(
          'glob: absolute pattern not permitted; pass a relative pattern (and optionally path)',
        );
      }
      if (pattern.split(/[\\/{},]/).includes('..')) {
        throw new ToolError('glob: ".." is not permitted in the pattern');
      }
      const root = searchPath ? await resolvePath(ctx, searchPath) : path.resolve(ctx.workdir);
      // Matches are kept only when their real path is under the real root, as the SDK does.
      const realRoot = searchPath ? root : await resolvePath(ctx, '.');
      const signal = context?.signal ?? undefined;
      const matches = await threads(() => globOnThread({ pattern, root, realRoot }, timeoutMs, signal));
      return matches.length === 0 ? 'no matches' : matches.join('\n');
    },
  };
}

interface GlobJob {
  pattern: string;
  root: string;
  realRoot: string;
}

function globOnThread(job: GlobJob, timeoutMs: number, signal: AbortSignal | undefined): Promise<string[]> {
  if (signal?.aborted) return Promise.reject(new ToolError('glob: aborted'));
  return new Promise((resolve, reject) => {
    const worker = new Worker(GLOB_WORKER_SOURCE, {
      eval: true,
      workerData: { ...job, maxEntries: WALK_MAX_ENTRIES, limit: GLOB_RESULT_LIMIT },
      // Nothing of this process's environment or flags reaches the thread.
      env: {},
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: GLOB_HEAP_MB },
    });
    let settled = false;
    const settle = (error: Error | undefined, matches?: string[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (error) reject(error);
      else resolve(matches ?? []);
    };
    const onAbort = () => settle(new ToolError('glob: aborted'));
    const timer = setTimeout(
      () => settle(new ToolError(`glob: timed out after ${timeoutMs / 1000}s; narrow the pattern`)),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (reply: { matches?: string[]; error?: string }) =>
      settle(reply.error === undefined ? undefined : new ToolError(`glob: ${reply.error}`), reply.matches),
    );
    worker.once('error', (error) => settle(new ToolError(`glob: ${error.message}`)));
    worker.once('exit', (code) => settle(new ToolError(`glob: stopped (exit code ${code})`)));
  });
}

// The body of the SDK's glob, on a thread: native `fs.glob` without `.git` and `node_modules`, files only, each kept
// only when its real path is under the real root, newest first. Plain CommonJS: a thread started from source has
// nothing but Node's own modules.
const GLOB_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { pattern, root, realRoot, maxEntries, limit } = workerData;
const within = (p) => p === realRoot || p.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep);
(async () => {
  const matches = [];
  let remaining = maxEntries;
  for await (const entry of fs.promises.glob(pattern, {
    cwd: root,
    withFileTypes: true,
    exclude: (d) => d.name === '.git' || d.name === 'node_modules',
  })) {
    if (remaining-- <= 0) break;
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    let real;
    try {
      real = await fs.promises.realpath(full);
    } catch {
      continue;
    }
    if (!within(real)) continue;
    let mtime = 0;
    try {
      mtime = (await fs.promises.stat(full)).mtimeMs;
    } catch {}
    matches.push({ path: full, mtime });
  }
  matches.sort((a, b) => b.mtime - a.mtime);
  parentPort.postMessage({ matches: matches.slice(0, limit).map((m) => m.path) });
})().catch((e) => parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) }));
`;
