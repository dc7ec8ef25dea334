import fs from 'node:fs';
import path from 'node:path';
import { makeRepo } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { downloaded, runAction, type ActionRun } from '../../support/run-action.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-fanOutSecretKey0123456789';
const IDS = Array.from({ length: 12 }, (_, i) => `FAN-${i + 1}`);
const TASKS = IDS.map((id) => `- ${id}: Task ${id}\n  estimate: 1h`).join('\n');
const SCRIPTS: Scripts = Object.fromEntries(
  IDS.map((id) => [
    id,
    [{ tools: [{ name: 'write', input: { file_path: `${id}.md`, content: id } }] }, { text: `Did ${id}.` }],
  ]),
);
const ENV = { GITHUB_RUN_ID: '9001', GITHUB_RUN_ATTEMPT: '1' };

let model: MessagesServer;
beforeAll(async () => {
  model = await startMessagesServer({ scripts: SCRIPTS, latencyMs: 150 });
});
afterAll(() => model.close());

type Row = { id: string; status: string; startedAt: number; endedAt: number; seconds: number };
type Entry = { shard: string; tasks: string; plan: string };

function plan(maxShards = '3') {
  return runAction({
    workspace: makeRepo({ 'README.md': '# x\n' }),
    inputs: { tasks: TASKS, mode: 'plan', 'max-shards': maxShards },
    env: ENV,
  });
}

/** One shard's job: its matrix entry, and the `max-shards` its step is given. */
function shard(workspace: string, entry: Entry, maxShards = '3', withPlan = true) {
  return runAction({
    workspace,
    inputs: {
      'anthropic-api-key': API_KEY,
      'anthropic-base-url': model.url,
      tasks: TASKS,
      'max-shards': maxShards,
      shard: entry.shard,
      ...(withPlan ? { 'shard-plan': entry.plan } : {}),
      'max-concurrency': '4',
    },
    env: ENV,
  });
}

/** Plans, then runs every shard as its own process of the built action at the same time, each on its own runner. */
async function fanOut(): Promise<{ matrix: Entry[]; shardDirs: string[]; shards: ActionRun[] }> {
  const planned = await plan();
  expect(planned.code).toBe(0);
  const matrix = (JSON.parse(planned.outputs.matrix!) as { include: Entry[] }).include;
  const workspaces = matrix.map(() => makeRepo({ 'README.md': '# x\n' }));
  const shards = await Promise.all(matrix.map((entry, i) => shard(workspaces[i]!, entry)));
  return { matrix, shards, shardDirs: workspaces.map((w) => path.join(w, 'parallel-agents-results')) };
}

function report(resultsDir: string, inputs: Record<string, string> = {}) {
  return runAction({
    workspace: makeRepo({ 'README.md': '# x\n' }),
    inputs: { tasks: TASKS, mode: 'report', 'max-shards': '3', 'results-dir': resultsDir, ...inputs },
    env: ENV,
  });
}

describe('a fan-out over a matrix, through the built action', () => {
  // One fan-out for every case: each reads its shards' folders (copied by `downloaded`) and changes none of them.
  let fanned: Awaited<ReturnType<typeof fanOut>>;
  beforeAll(async () => {
    fanned = await fanOut();
  });

  it('plans 12 tasks into 3 shards, runs them as 3 processes at once, and reports the whole run', async () => {
    const { matrix, shards, shardDirs } = fanned;
    expect(matrix.map((m) => m.tasks.split(',').length)).toEqual([4, 4, 4]);
    for (const shard of shards) expect(shard.code).toBe(0);
    for (const [i, dir] of shardDirs.entries()) {
      expect(fs.readdirSync(dir)).toEqual([`run-9001-1-shard-${i + 1}`]);
    }

    const resultsDir = downloaded(shardDirs);
    const merged = await report(resultsDir);
    expect(merged.code).toBe(0);
    const rows = JSON.parse(merged.outputs.results!) as Row[];
    expect(rows.map((r) => r.id)).toEqual(IDS);
    // One page for the whole run, from every shard's audit log.
    const page = fs.readFileSync(path.join(resultsDir, 'run.html'), 'utf8');
    for (const id of IDS) expect(page).toContain(`>${id}<`);
    expect(rows.every((r) => r.status === 'succeeded')).toBe(true);
    expect(merged.outputs.succeeded).toBe('12');

    // Wall spans the earliest start to the latest end across shards; sequential sums every agent's time.
    const wall = (Math.max(...rows.map((r) => r.endedAt)) - Math.min(...rows.map((r) => r.startedAt))) / 1000;
    const sequential = rows.reduce((sum, r) => sum + r.seconds, 0);
    expect(Number(merged.outputs['wall-seconds'])).toBeCloseTo(wall, 2);
    expect(Number(merged.outputs['sequential-seconds'])).toBeCloseTo(sequential, 2);
    expect(Number(merged.outputs.speedup)).toBeCloseTo(sequential / wall, 1);
    // The three shards ran at once: the whole run took less than the sum of the shards' own wall times.
    const shardWalls = shards.map((s) => Number(s.outputs['wall-seconds']));
    expect(wall).toBeLessThan(shardWalls.reduce((a, b) => a + b, 0));

    expect(merged.summary).toContain('## ✅ parallel-agents: 12/12 tasks succeeded');
    expect(merged.summary).toContain('### Runners: 3');
    expect(merged.summary).toMatch(/\| 1 \| 4 \| \d+\.\d s \|/);
    expect(merged.summary).toMatch(/\| 3 \| 4 \| \d+\.\d s \|/);
    expect(model.requests.filter((r) => r.task && IDS.includes(r.task))).not.toHaveLength(0);
  });

  it("names the missing shard's tasks and fails under fail-on when one shard's files are gone", async () => {
    const { shardDirs, matrix } = fanned;
    const lost = matrix[1]!.tasks.split(',');
    const merged = await report(downloaded([shardDirs[0]!, shardDirs[2]!]));
    expect(merged.code).toBe(1);
    expect(merged.stdout).toContain(
      `::warning::shard 2 left no results (${lost.join(', ')}): did its job fail before uploading them?`,
    );
    const rows = JSON.parse(merged.outputs.results!) as Row[];
    expect(rows).toHaveLength(12);
    expect(rows.filter((r) => r.status === 'missing').map((r) => r.id)).toEqual(lost);
    expect(merged.outputs.failed).toBe('4');
    expect(merged.summary).toContain('❓ missing');
    expect(merged.stdout).toMatch(/::error::4 of 12 agents did not succeed/);

    const lenient = await report(downloaded([shardDirs[0]!, shardDirs[2]!]), { 'fail-on': 'none' });
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('::warning::shard 2 left no results');
  });

  it('refuses a shard run with other max-shards than its plan, naming the difference, before any model call', async () => {
    const planned = await plan();
    const entry = (JSON.parse(planned.outputs.matrix!) as { include: Entry[] }).include[1]!;
    const before = model.requests.length;
    const refused = await shard(makeRepo({ 'README.md': '# x\n' }), entry, '4');
    expect(refused.code).toBe(1);
    expect(refused.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([
      '::error::input `shard-plan` (shard 2): this shard was planned with max-shards 3, but is run with 4. Give the plan step and every shard the same tasks, `max-shards` and `overlap` (set them once, as the example fan-out workflow does), or plan again',
    ]);
    expect(model.requests.length).toBe(before);
    expect(refused.summary).toBe('');
  });

  it('names a shard whose record was planned otherwise, keeps its results, and still writes the report', async () => {
    const { matrix, shardDirs } = fanned;
    // Shard 2 as an older workflow ran it: without its plan, and with max-shards 4.
    const stray = makeRepo({ 'README.md': '# x\n' });
    const ran = await shard(stray, matrix[1]!, '4', false);
    expect(ran.code).toBe(0);
    const strayTasks = (JSON.parse(ran.outputs.results!) as Row[]).map((r) => r.id);

    const merged = await report(
      downloaded([shardDirs[0]!, path.join(stray, 'parallel-agents-results'), shardDirs[2]!]),
    );
    expect(merged.stdout).toContain(
      '::warning::shard 2 was planned otherwise than this report: the plan has max-shards 3, but it ran with 4. Its results are included; give every job of the fan-out the same tasks, `max-shards` and `overlap`',
    );
    expect(merged.stdout.match(/planned otherwise than this report/g)).toHaveLength(1);
    const rows = JSON.parse(merged.outputs.results!) as Row[];
    expect(rows).toHaveLength(12);
    for (const id of strayTasks) expect(rows.find((r) => r.id === id)?.status).toBe('succeeded');
    expect(merged.summary).toContain('shard 2 was planned otherwise than this report');
  });
});
