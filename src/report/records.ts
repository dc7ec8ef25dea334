import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentResult } from '../result.js';
import type { RecordRun, RunRecord } from './merge.js';

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

/** Written last, once the per-task files are: a folder without it did not finish. */
export async function writeRunFile(dir: string, run: RecordRun): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, RUN_FILE), `${JSON.stringify({ version: 1, run }, null, 2)}\n`);
}

/**
 * Every run folder under `resultsDir` with its results (`<id>.json` beside its `run.json`). What cannot be read is
 * named in `problems`, never silently dropped; a task whose file is missing is left for the merge to call missing.
 */
export async function readRunRecords(
  resultsDir: string,
): Promise<{ records: { file: string; record: RunRecord }[]; problems: string[] }> {
  const problems: string[] = [];
  const records: { file: string; record: RunRecord }[] = [];
  let entries: string[];
  try {
    entries = (await readdir(resultsDir, { recursive: true })).filter((f) => path.basename(f) === RUN_FILE);
  } catch (error) {
    return { records, problems: [`${resultsDir} could not be read: ${reasonOf(error)}`] };
  }
  for (const entry of entries.sort()) {
    const file = path.join(resultsDir, entry);
    const folder = path.dirname(entry);
    let run: RecordRun;
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { version?: unknown; run?: RecordRun };
      if (parsed.version !== 1 || !parsed.run || !Array.isArray(parsed.run.tasks))
        throw new Error('not a run file');
      run = parsed.run;
    } catch (error) {
      problems.push(`${folder}/${RUN_FILE} could not be read: ${reasonOf(error)}`);
      continue;
    }
    const results: AgentResult[] = [];
    for (const id of run.tasks) {
      try {
        results.push(
          JSON.parse(await readFile(path.join(path.dirname(file), `${id}.json`), 'utf8')) as AgentResult,
        );
      } catch (error) {
        problems.push(`${folder}/${id}.json could not be read: ${reasonOf(error)}`);
      }
    }
    records.push({ file: folder, record: { version: 1, run, results } });
  }
  return { records, problems };
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  return error instanceof Error ? error.message : String(error);
}
