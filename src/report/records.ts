import { constants } from 'node:fs';
import { mkdir, open, readdir, stat, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { AgentResult } from '../result.js';
import { capProblems, type RecordRun, type RunRecord } from './merge.js';

/** The file in each run's folder of `results-dir` that says which run, attempt and shard wrote the folder. */
const RUN_FILE = 'run.json';

/**
 * The folder of `results-dir` a run writes into: unique to the workflow run, its attempt and its shard, so that
 * `actions/download-artifact` with `merge-multiple: true` puts every shard's folder side by side.
 */
export function recordDir(resultsDir: string, run: Pick<RecordRun, 'id' | 'attempt' | 'shard'>): string {
  const name = `run-${run.id}-${run.attempt}${run.shard ? `-shard-${run.shard}` : ''}`;
  return path.join(resultsDir, name.replace(/[^\w.-]/g, '_'));
}

/** The run, attempt and shard of this step, from the runner's environment (`local` outside a workflow run). */
export function thisRun(
  env: NodeJS.ProcessEnv,
  shard: number | undefined,
): Pick<RecordRun, 'id' | 'attempt' | 'shard'> {
  const attempt = Number(env.GITHUB_RUN_ATTEMPT);
  return {
    id: env.GITHUB_RUN_ID || 'local',
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
    shard: shard === undefined ? null : String(shard),
  };
}

/**
 * Refuses a `results-dir` that cannot be a folder (a file, or a path through one) before any agent runs, rather than
 * finding out once their results are to be written. A folder that does not exist yet is made then.
 */
export async function checkResultsDir(dir: string, workspace: string): Promise<void> {
  for (let at = dir; ; at = path.dirname(at)) {
    const stats = await stat(at).catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (stats?.isDirectory() || path.dirname(at) === at) return;
    if (!stats) continue;
    const shown = (p: string) => path.relative(workspace, p) || '.';
    throw new InputError(
      at === dir
        ? `${shown(dir)} is a file, not a folder`
        : `${shown(dir)} is inside ${shown(at)}, which is a file`,
      'input `results-dir`',
      'Name a folder for the results (it is made if missing), e.g. parallel-agents-results',
    );
  }
}

/** Written last, once the per-task files are: a folder without it did not finish. */
export async function writeRunFile(dir: string, run: RecordRun): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, RUN_FILE), `${JSON.stringify({ version: 1, run }, null, 2)}\n`);
}

/** Most tasks one run file may list: far more than one runner holds, far fewer than a summary can name. */
export const MAX_RUN_TASKS = 1_000;
/** Most run folders read: 256 shards, each run a few times, fit well within it. */
const MAX_RUN_FILES = 1_024;
/** How deep under `results-dir` a run folder may be: side by side (`merge-multiple`), or in a folder per artifact. */
const MAX_DEPTH = 3;
const MAX_RUN_FILE_BYTES = 1024 * 1024;
const MAX_RESULT_BYTES = 4 * 1024 * 1024;
/** Most task results read in all: ten runners' worth of the most one may list. */
const MAX_RESULTS = 10 * MAX_RUN_TASKS;

/**
 * Every run folder under `resultsDir` with its results (`<id>.json` beside its `run.json`), each file checked against
 * the record schema before anything in it is used: ids by the task-id grammar (so no id names a path), sizes bounded,
 * symbolic links not followed. What cannot be read is named in `problems` and left out, never silently dropped; a
 * task whose file is missing is left for the merge to call missing.
 */
export async function readRunRecords(
  resultsDir: string,
): Promise<{ records: { file: string; record: RunRecord }[]; problems: string[] }> {
  const { checkResult, checkRunFile } = await import('./record-schema.js');
  const problems: string[] = [];
  const records: { file: string; record: RunRecord }[] = [];
  let found: { folders: string[]; more: boolean };
  try {
    found = await findRunFolders(resultsDir);
  } catch (error) {
    return { records, problems: [`${resultsDir} could not be read: ${reasonOf(error)}`] };
  }
  if (found.more) {
    problems.push(`more than ${MAX_RUN_FILES} run folders under ${resultsDir}: only the first were read`);
  }
  let budget = MAX_RESULTS;
  for (const folder of found.folders) {
    const name = shown(folder);
    const dir = path.join(resultsDir, folder);
    const run = checked(
      await readJson(path.join(dir, RUN_FILE), MAX_RUN_FILE_BYTES),
      checkRunFile,
      'run file',
    );
    if (!run.ok) {
      problems.push(`${name}/${RUN_FILE} could not be read: ${run.why}`);
      continue;
    }
    const tasks = [...new Set(run.value.tasks)];
    if (tasks.length > budget) {
      problems.push(`${name}: over ${MAX_RESULTS} task results in all; the rest were not read`);
      break;
    }
    budget -= tasks.length;
    const results: AgentResult[] = [];
    for (const id of tasks) {
      const read = await readJson(path.join(dir, `${id}.json`), MAX_RESULT_BYTES);
      const result = checked(read, (data) => checkResult(data, id), 'task result');
      if (result.ok) results.push(result.value);
      else problems.push(`${name}/${id}.json could not be read: ${result.why}`);
    }
    records.push({ file: name, record: { version: 1, run: run.value, results } });
  }
  return { records, problems: capProblems(problems) };
}

type Read = { ok: true; value: unknown } | { ok: false; why: string };

/** The schema's verdict on what was read, or why it could not be read. */
function checked<T>(
  read: Read,
  check: (data: unknown) => { ok: true; value: T } | { ok: false; why: string },
  what: string,
): { ok: true; value: T } | { ok: false; why: string } {
  if (!read.ok) return read;
  const result = check(read.value);
  return result.ok ? result : { ok: false, why: `not a ${what} (${result.why})` };
}

/**
 * A regular file's JSON, opened without following a symbolic link and read only when within `maxBytes`. What is wrong
 * is said without quoting the file: it may hold anything.
 */
async function readJson(file: string, maxBytes: number): Promise<Read> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, why: reasonOf(error) };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { ok: false, why: 'not a regular file' };
    if (stats.size > maxBytes)
      return { ok: false, why: `larger than the ${maxBytes / 1024 / 1024} MiB a record may take` };
    const text = await handle.readFile('utf8');
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, why: 'not JSON' };
    }
  } catch (error) {
    return { ok: false, why: reasonOf(error) };
  } finally {
    await handle.close();
  }
}

/**
 * The folders under `root` that hold a `run.json`, relative to it and sorted, at most {@link MAX_DEPTH} deep. Only
 * real directories are entered: a symbolic link could lead anywhere on the runner.
 */
async function findRunFolders(root: string): Promise<{ folders: string[]; more: boolean }> {
  const folders: string[] = [];
  let more = false;
  const walk = async (relative: string, depth: number): Promise<void> => {
    const entries = await readdir(path.join(root, relative), { withFileTypes: true }).catch(
      (error: unknown) => {
        // The root must be readable; a folder inside that is not is left out, and the rest still read.
        if (depth === 0) throw error;
        return [];
      },
    );
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (entries.some((e) => e.name === RUN_FILE && !e.isDirectory())) {
      if (folders.length >= MAX_RUN_FILES) more = true;
      else folders.push(relative || '.');
    }
    if (depth >= MAX_DEPTH) return;
    for (const entry of entries) {
      if (entry.isDirectory() && !more) await walk(path.join(relative, entry.name), depth + 1);
    }
  };
  await walk('', 0);
  return { folders, more };
}

/** A folder's name as the problems show it: on one line, and not so long that it drowns the message. */
function shown(folder: string): string {
  const line = folder.split(path.sep).join('/').replace(/\s+/g, ' ');
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'ELOOP') return 'a symbolic link, which is not followed';
  if (code === 'ENOTDIR') return 'not a directory';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
