import fs from 'node:fs';
import { makeRepo } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { DIST, runAction } from '../../support/run-action.js';
import { PREDICTION, predictedPaths } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-predictedPlanE2EsecretKey0123';
/** The prediction request's script key: a phrase of its system prompt. */
const entry = (id: string, paths: string[]) => predictedPaths(id, paths, `${id} edits the router.`);

let model: MessagesServer;
beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  model = await startMessagesServer({
    latencyMs: 20,
    recordBodies: true,
    scripts: {
      [PREDICTION]: [
        {
          json: {
            tasks: [
              entry('BAC-1', ['src/router.js']),
              entry('BAC-2', ['src/router.js']),
              entry('BAC-3', ['src/router.js']),
            ],
          },
        },
      ],
      // Two turns: BAC-1 is still at work when the first reply lets the others go.
      'BAC-1': [
        { tools: [{ name: 'read', input: { file_path: 'src/router.js' } }], latencyMs: 100 },
        { text: 'Done one.', latencyMs: 300 },
      ],
      'BAC-2': [{ text: 'Done two.', latencyMs: 300 }],
      'BAC-3': [{ text: 'Done three.', latencyMs: 300 }],
    },
  });
});
afterAll(() => model.close());

/** First request's arrival to last reply's end, per task, from the server's own records. */
const span = (id: string): [number, number] => {
  const mine = model.requests.filter((r) => r.task === id);
  return [Math.min(...mine.map((r) => r.startedAt)), Math.max(...mine.map((r) => r.endedAt))];
};

describe('plan: predict, through the built action', () => {
  it('runs one after the other the tasks the model says touch the same file, unless the tasks say otherwise, and counts the call in the cost', async () => {
    const workspace = makeRepo({ 'src/router.js': 'route()\n', 'docs/guide.md': '# Guide\n' });
    const run = await runAction({
      workspace,
      inputs: {
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': model.url,
        plan: 'predict',
        // BAC-3 says its own paths: they win over the prediction, so it runs alongside the others.
        tasks: '- BAC-1: Add a route\n- BAC-2: Rename a route\n- BAC-3: Write the guide\n  paths: docs/**',
      },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const prediction = model.requests.filter((r) => r.task === PREDICTION);
    expect(prediction).toHaveLength(1);
    expect(JSON.stringify(prediction[0]!.body)).toContain('src/router.js');
    // Predicted to share src/router.js, BAC-2 stacks on BAC-1 and starts once it has ended.
    expect(span('BAC-2')[0]).toBeGreaterThanOrEqual(span('BAC-1')[1]);
    expect(span('BAC-3')[0]).toBeLessThan(span('BAC-1')[1]);
    expect(run.summary).toContain('BAC-2 on BAC-1');
    expect(run.summary).not.toContain('BAC-3 on');
    // The call's cost is in the run's: more than the agents' own.
    const results = JSON.parse(run.outputs.results!) as { costUsd: number }[];
    const agents = results.reduce((sum, r) => sum + r.costUsd, 0);
    expect(Number(run.outputs['cost-usd'])).toBeGreaterThan(agents);
    expect(run.stdout).toContain("The plan's prediction (claude-haiku-4-5) gave paths to 2 tasks");
  });
});
