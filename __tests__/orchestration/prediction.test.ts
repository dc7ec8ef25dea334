import path from 'node:path';
import { predictIfAsked } from '../../src/prediction.js';
import { readSettings } from '../../src/settings.js';
import type { TaskSet } from '../../src/tasks/task.js';
import { recordDir, writeRunFile } from '../../src/report/records.js';
import { makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { PREDICTION, predictedPaths } from '../../support/script.js';

const entry = (id: string, paths: string[]) => predictedPaths(id, paths, 'It edits it.');

let model: MessagesServer;
beforeAll(async () => {
  model = await startMessagesServer({
    recordBodies: true,
    scripts: {
      [PREDICTION]: [{ json: { tasks: [entry('BAC-1', ['src/a.ts']), entry('BAC-2', ['src/a.ts'])] } }],
    },
  });
});
afterAll(() => model.close());

const set = (): TaskSet => ({
  context: '',
  source: 'input `tasks`',
  tasks: ['BAC-1', 'BAC-2'].map((id) => ({ id, title: id, prompt: '', dependsOn: [], paths: [] })),
});

function settings(inputs: Record<string, string>, workspace: string) {
  const all: Record<string, string> = {
    'anthropic-api-key': 'sk-ant-test',
    'anthropic-base-url': model.url,
    ...inputs,
  };
  return readSettings((name) => all[name] ?? '', { GITHUB_WORKSPACE: workspace });
}

describe('predictIfAsked', () => {
  it('asks once with the repository’s files and gives the tasks the predicted paths and what the call used', async () => {
    const repo = makeRepo({ 'src/a.ts': 'a\n', 'README.md': '# r\n' });
    const predicted = await predictIfAsked(settings({ plan: 'predict' }, repo), set());
    expect(predicted.set.tasks.map((t) => t.paths)).toEqual([['src/a.ts'], ['src/a.ts']]);
    expect(predicted.spent?.model).toBe('claude-haiku-4-5');
    expect(predicted.spent!.usage.input).toBeGreaterThan(0);
    const body = JSON.stringify(model.requests.at(-1)!.body);
    expect(body).toContain('src/a.ts');
    expect(body).toContain('README.md');
  });

  it('leaves the tasks as written, and asks nothing, unless plan: predict', async () => {
    const before = model.requests.length;
    const given = set();
    const asWritten = await predictIfAsked(settings({}, makeRepo({ 'a.txt': 'a\n' })), given);
    expect(asWritten).toEqual({ set: given, notes: [], warnings: [] });
    expect(model.requests).toHaveLength(before);
  });
});

describe('predictIfAsked in a shard', () => {
  const carried = [{ id: 'BAC-2', paths: ['src/b.ts'], because: { paths: 'It edits b.' } }];
  const shardPlan = (predicted?: unknown) =>
    JSON.stringify({
      tasks: 2,
      digest: '0123456789abcdef',
      maxShards: 2,
      overlap: 'stack',
      shards: 1,
      shard: '1',
      ids: ['BAC-1', 'BAC-2'],
      ...(predicted ? { predicted } : {}),
    });

  it('takes the prediction its shard plan carries, asks nothing, and leaves what the task says', async () => {
    const before = model.requests.length;
    const given = set();
    given.tasks[0]!.paths = ['src/own.ts'];
    const inputs = {
      plan: 'predict',
      shard: '1',
      'shard-plan': shardPlan([...carried, { ...carried[0]!, id: 'BAC-1' }]),
    };
    const predicted = await predictIfAsked(settings(inputs, makeRepo({ 'a.txt': 'a\n' })), given);
    expect(predicted.set.tasks.map((t) => [t.paths, t.predicted])).toEqual([
      [['src/own.ts'], undefined],
      [['src/b.ts'], { paths: 'It edits b.' }],
    ]);
    expect(predicted.spent).toBeUndefined();
    expect(model.requests).toHaveLength(before);
  });

  it('refuses a shard plan that carries no prediction, saying how to fix it', async () => {
    const inputs = { plan: 'predict', shard: '1', 'shard-plan': shardPlan() };
    await expect(predictIfAsked(settings(inputs, makeRepo({ 'a.txt': 'a\n' })), set())).rejects.toThrow(
      'input `plan` (shard 1): needs the prediction of the plan step, and `shard-plan` carries none. Give the plan step',
    );
  });
});

describe('predictIfAsked in the report step', () => {
  const usage = { input: 120, output: 30, cacheRead: 0, cacheWrite: 0 };
  /** A results folder with one shard's record, its plan carrying `predicted` (and what predicting cost) when given. */
  async function resultsWith(predicted?: unknown): Promise<string> {
    const dir = path.join(tempDir(), 'results');
    const plan = JSON.stringify({
      tasks: 2,
      digest: '0123456789abcdef',
      maxShards: 1,
      overlap: 'stack',
      shards: 1,
      shard: '1',
      ids: ['BAC-1', 'BAC-2'],
      ...(predicted ? { predicted, predictionSpent: { model: 'claude-haiku-4-5', usage } } : {}),
    });
    const run = {
      id: '7',
      attempt: 1,
      shard: '1',
      tasks: ['BAC-1', 'BAC-2'],
      startedAt: 1,
      endedAt: 2,
      concurrency: 2,
      plan,
    };
    await writeRunFile(recordDir(dir, run), run);
    return dir;
  }

  it('plans as the shards did, from the prediction their records keep, and counts its cost once', async () => {
    const before = model.requests.length;
    const carried = [{ id: 'BAC-2', paths: ['src/b.ts'], because: { paths: 'It edits b.' } }];
    const inputs = { plan: 'predict', mode: 'report', 'results-dir': await resultsWith(carried) };
    const reported = await predictIfAsked(settings(inputs, makeRepo({ 'a.txt': 'a\n' })), set());
    expect(reported.set.tasks.map((t) => t.paths)).toEqual([[], ['src/b.ts']]);
    expect(reported.spent).toEqual({ model: 'claude-haiku-4-5', usage });
    expect(reported.warnings).toEqual([]);
    expect(model.requests).toHaveLength(before);
  });

  it('plans the tasks as written, and says so, when no record carries a prediction', async () => {
    const inputs = { plan: 'predict', mode: 'report', 'results-dir': await resultsWith() };
    const given = set();
    const reported = await predictIfAsked(settings(inputs, makeRepo({ 'a.txt': 'a\n' })), given);
    expect(reported.set).toBe(given);
    expect(reported.spent).toBeUndefined();
    expect(reported.warnings).toEqual([
      "No shard's record carries the plan's prediction, so this report plans the tasks as written",
    ]);
  });
});
