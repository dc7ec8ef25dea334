import fs from 'node:fs';
import path from 'node:path';
import { makeRepo, tempDir } from '../../support/git-repo.js';
import { DIST, runAction } from '../../support/run-action.js';

/** Stands for whatever else is on the runner: no record may carry it into the report. */
const SECRET = 'ghs_hostileRecordsSecret0123456789';
const IDS = ['HOS-1', 'HOS-2', 'HOS-3', 'HOS-4'];
const TASKS = IDS.map((id) => `- ${id}: Task ${id}`).join('\n');
const T0 = Date.UTC(2026, 11, 1, 12);
const ENV = { GITHUB_RUN_ID: '9001', GITHUB_RUN_ATTEMPT: '1' };

const run = (tasks: unknown, shard = '1') => ({
  version: 1,
  run: { id: '9001', attempt: 1, shard, tasks, startedAt: T0, endedAt: T0 + 10_000, concurrency: 4 },
});

function result(id: string, report: string) {
  return {
    id,
    title: `Task ${id}`,
    status: 'succeeded',
    model: 'claude-sonnet-4-6',
    startedAt: T0 + 1_000,
    endedAt: T0 + 9_000,
    seconds: 8,
    turns: 2,
    toolCalls: 1,
    usage: { input: 10, output: 10, cacheWrite: 0, cacheRead: 0 },
    costUsd: 0.01,
    report,
    branch: '',
    pushed: false,
    filesChanged: [],
    insertions: 0,
    deletions: 0,
  };
}

/**
 * What a hostile shard could upload: a good result beside one that is not JSON, one that is null and one with a
 * wrong type; a run file whose task id climbs out to another JSON file; one that lists 200,000 ids; one that is null.
 */
function hostileResults(): string {
  const root = tempDir('pa-hostile-');
  const dir = (name: string, files: Record<string, unknown>) => {
    fs.mkdirSync(path.join(root, name));
    for (const [file, content] of Object.entries(files)) {
      const text = typeof content === 'string' ? content : JSON.stringify(content);
      fs.writeFileSync(path.join(root, name, file), text);
    }
  };
  dir('run-9001-1-shard-1', {
    'run.json': run(IDS),
    'HOS-1.json': result('HOS-1', 'Did HOS-1.'),
    'HOS-2.json': `${SECRET} is not JSON`,
    'HOS-3.json': null,
    'HOS-4.json': { ...result('HOS-4', 'x'), turns: 'many' },
  });
  fs.writeFileSync(path.join(path.dirname(root), 'HOS-9.json'), JSON.stringify(result('HOS-9', SECRET)));
  dir('climbs-out', { 'run.json': run([`../../HOS-9`]) });
  dir('too-many', { 'run.json': run(Array.from({ length: 200_000 }, (_, i) => `HOS-${i + 1}`)) });
  dir('empty', { 'run.json': null });
  return root;
}

beforeAll(() => expect(fs.existsSync(DIST)).toBe(true));

describe('mode: report with a hostile results-dir, through the built action', () => {
  it('names and skips every bad record, quotes none, and still writes the summary and the outputs', async () => {
    const report = await runAction({
      workspace: makeRepo({ 'README.md': '# x\n' }),
      inputs: { tasks: TASKS, mode: 'report', 'max-shards': '1', 'results-dir': hostileResults() },
      env: ENV,
    });
    expect(report.stdout).not.toContain('failed unexpectedly');
    const warnings = report.stdout.split('\n').filter((l) => l.startsWith('::warning::'));
    expect(warnings).toEqual([
      '::warning::climbs-out/run.json could not be read: not a run file (run.tasks[0]: is not a task id (like BAC-124))',
      '::warning::empty/run.json could not be read: not a run file (the file: expected object)',
      '::warning::run-9001-1-shard-1/HOS-2.json could not be read: not JSON',
      '::warning::run-9001-1-shard-1/HOS-3.json could not be read: not a task result (the file: expected object)',
      '::warning::run-9001-1-shard-1/HOS-4.json could not be read: not a task result (turns: expected number)',
      '::warning::too-many/run.json could not be read: larger than the 1 MiB a record may take',
    ]);

    // The step fails as any run with missing tasks does, with its report written.
    expect(report.code).toBe(1);
    expect(report.stdout).toMatch(/::error::3 of 4 agents did not succeed/);
    const rows = JSON.parse(report.outputs.results!) as { id: string; status: string }[];
    expect(rows.map((r) => [r.id, r.status])).toEqual([
      ['HOS-1', 'succeeded'],
      ['HOS-2', 'missing'],
      ['HOS-3', 'missing'],
      ['HOS-4', 'missing'],
    ]);
    expect(report.summary).toContain('parallel-agents: 1/4 tasks succeeded');
    expect(report.summary).toContain('HOS-4.json could not be read');
    expect(Buffer.byteLength(report.summary)).toBeLessThan(64 * 1024);
    for (const text of [report.stdout, report.stderr, report.summary, JSON.stringify(report.outputs)]) {
      expect(text).not.toContain(SECRET);
    }
  });
});
