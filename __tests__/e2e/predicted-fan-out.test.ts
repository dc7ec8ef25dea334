import fs from 'node:fs';
import path from 'node:path';
import { makeRepo } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { DIST, downloaded, runAction } from '../../support/run-action.js';
import { PREDICTION, predictedPaths } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-predictedFanOutSecretKey0123';
const TASKS = '- BAC-1: Add a route\n- BAC-2: Rename a route\n- BAC-3: Write guide A\n- BAC-4: Write guide B';
const ENV = { GITHUB_RUN_ID: '7001', GITHUB_RUN_ATTEMPT: '1' };
const FILES = { 'src/router.js': 'route()\n', 'docs/a.md': '# A\n', 'docs/b.md': '# B\n' };
const entry = (id: string, paths: string[]) => predictedPaths(id, paths);

let model: MessagesServer;
beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  model = await startMessagesServer({
    latencyMs: 200,
    scripts: {
      [PREDICTION]: [
        {
          json: {
            tasks: [
              entry('BAC-1', ['src/router.js']),
              entry('BAC-2', ['src/router.js']),
              entry('BAC-3', ['docs/a.md']),
              entry('BAC-4', ['docs/b.md']),
            ],
          },
          latencyMs: 20,
        },
      ],
      'BAC-1': [{ tools: [{ name: 'read', input: { file_path: 'src/router.js' } }] }, { text: 'Done one.' }],
      'BAC-2': [{ text: 'Done two.' }],
      'BAC-3': [{ tools: [{ name: 'read', input: { file_path: 'docs/a.md' } }] }, { text: 'Done three.' }],
      'BAC-4': [{ text: 'Done four.' }],
    },
  });
});
afterAll(() => model.close());

type Entry = { shard: string; tasks: string; plan: string };

/** First request's arrival to last reply's end, per task, from the server's own records. */
const span = (id: string): [number, number] => {
  const mine = model.requests.filter((r) => r.task === id);
  return [Math.min(...mine.map((r) => r.startedAt)), Math.max(...mine.map((r) => r.endedAt))];
};
const predictions = () => model.requests.filter((r) => r.task === PREDICTION).length;

/** One shard's job of the fan-out, given its matrix entry. */
function shard(workspace: string, entry: Entry) {
  return runAction({
    workspace,
    inputs: {
      'anthropic-api-key': API_KEY,
      'anthropic-base-url': model.url,
      tasks: TASKS,
      plan: 'predict',
      'max-shards': '2',
      shard: entry.shard,
      'shard-plan': entry.plan,
    },
    env: ENV,
  });
}

// A shard refused for want of the plan step's prediction: its two messages are asserted on predictIfAsked, and that an
// input error stops the step in one line, before any model call, on a shard the plan does not have (plan.test.ts).
describe('plan: predict in a fan-out, through the built action', () => {
  it('predicts once in the plan step, and every shard and the report follow that prediction', async () => {
    const planned = await runAction({
      workspace: makeRepo(FILES),
      inputs: {
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': model.url,
        tasks: TASKS,
        plan: 'predict',
        mode: 'plan',
        'max-shards': '2',
      },
      env: ENV,
    });
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(0);
    expect(predictions()).toBe(1);
    // Predicted to share src/router.js, BAC-1 and BAC-2 go to one shard; as written they would be split.
    const matrix = (JSON.parse(planned.outputs.matrix!) as { include: Entry[] }).include;
    expect(matrix.map((e) => e.tasks)).toEqual(['BAC-1,BAC-2', 'BAC-3,BAC-4']);
    expect(JSON.parse(matrix[0]!.plan)).toMatchObject({
      predicted: expect.arrayContaining([
        { id: 'BAC-2', paths: ['src/router.js'], because: { paths: 'BAC-2 edits src/router.js.' } },
      ]) as unknown,
    });
    // The call's cost is the plan step's.
    expect(Number(planned.outputs['cost-usd'])).toBeGreaterThan(0);
    expect(planned.summary).toMatch(/The plan's prediction cost \$0\.\d+/);

    const workspaces = matrix.map(() => makeRepo(FILES));
    const shards = await Promise.all(matrix.map((e, i) => shard(workspaces[i]!, e)));
    for (const run of shards) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Planned with the prediction of the plan step, for 4 tasks');
    }
    // No shard asked the model for a prediction of its own.
    expect(predictions()).toBe(1);
    // The predicted stack holds in shard 1: BAC-2 starts once BAC-1 has ended; shard 2's tasks run side by side.
    expect(span('BAC-2')[0]).toBeGreaterThanOrEqual(span('BAC-1')[1]);
    expect(span('BAC-4')[0]).toBeLessThan(span('BAC-3')[1]);
    expect(shards[0]!.summary).toContain('BAC-2 on BAC-1');
    const results = (run: (typeof shards)[number]) =>
      (JSON.parse(run.outputs.results!) as { status: string; costUsd: number }[]).map((r) => r.status);
    expect(shards.flatMap(results)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);

    // The report plans as the shards ran, from their records, with no call of its own and nothing to warn of.
    const merged = downloaded(workspaces.map((w) => path.join(w, 'parallel-agents-results')));
    const report = await runAction({
      workspace: makeRepo(FILES),
      inputs: { tasks: TASKS, plan: 'predict', mode: 'report', 'max-shards': '2', 'results-dir': merged },
      env: ENV,
    });
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    expect(report.stdout).not.toContain('::warning::');
    expect(report.summary).toContain('4/4 tasks succeeded');
    expect(predictions()).toBe(1);
    // The fan-out's cost is the shards' and the prediction's, counted once.
    const spent = (run: { outputs: Record<string, string> }) => Number(run.outputs['cost-usd']);
    const shardsCost = shards.reduce((sum, run) => sum + spent(run), 0);
    expect(spent(report)).toBeCloseTo(shardsCost + spent(planned), 3);
  });
});
