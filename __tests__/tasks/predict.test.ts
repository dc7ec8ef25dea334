import { InputError } from '../../src/errors.js';
import { createModelClient } from '../../src/model/client.js';
import { PREDICTION_FORMAT } from '../../src/model/predict-request.js';
import { predictIfAsked } from '../../src/prediction.js';
import { readSettings } from '../../src/settings.js';
import { planTasks } from '../../src/tasks/plan.js';
import { DEFAULT_PREDICTION_MODEL, predictPlan, type PredictOptions } from '../../src/tasks/predict.js';
import type { Task, TaskSet } from '../../src/tasks/task.js';
import { tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import type { ScriptedTurn } from '../../support/script.js';
import { PREDICTION } from '../../support/script.js';

/** The prediction request's script key: a phrase of its system prompt. */

const FILES = ['README.md', 'src/router.ts', 'src/auth/session.ts', 'docs/api.md'];

function task(id: string, fields: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, prompt: `Do ${id}.`, dependsOn: [], paths: [], ...fields };
}

interface Entry {
  id: string;
  paths?: string[];
  paths_reason?: string;
  depends_on?: string[];
  depends_on_reason?: string;
}

/** A reply in the form the request asks for. */
const reply = (...entries: Entry[]) => ({
  tasks: entries.map((e) => ({ paths: [], paths_reason: '', depends_on: [], depends_on_reason: '', ...e })),
});

const servers: MessagesServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

/** Predicts the plan of `tasks` against a loopback model that answers with `turn`. */
async function predict(
  tasks: Task[],
  turn: ScriptedTurn,
  options: Partial<PredictOptions> = {},
  serverOptions: Parameters<typeof startMessagesServer>[0] = {},
) {
  const server = await startMessagesServer({
    scripts: { [PREDICTION]: [turn] },
    recordBodies: true,
    ...serverOptions,
  });
  servers.push(server);
  const client = createModelClient({ apiKey: 'test-key', baseUrl: server.url, maxInFlight: 2 });
  const prediction = await predictPlan(tasks, { client, files: FILES, ...options });
  return { server, prediction };
}

/** The body of the one request the server got. */
function requestBody(server: MessagesServer) {
  expect(server.requests).toHaveLength(1);
  return server.requests[0]?.body as {
    model: string;
    system: string;
    messages: { role: string; content: string }[];
    output_config: unknown;
  };
}

describe('predictPlan', () => {
  it('stacks two tasks the model says touch the same file', async () => {
    const tasks = [task('BAC-1'), task('BAC-2')];
    const { prediction } = await predict(tasks, {
      json: reply(
        { id: 'BAC-1', paths: ['src/router.ts'], paths_reason: 'It adds the /health route.' },
        {
          id: 'BAC-2',
          paths: ['src/router.ts', 'docs/api.md'],
          paths_reason: 'It renames a route\nand documents it.',
        },
      ),
    });

    expect(planTasks(tasks).stacks).toEqual([]);
    const plan = planTasks(prediction.tasks);
    expect(plan.stacks).toEqual([{ task: 'BAC-2', on: 'BAC-1', globs: ['src/router.ts', 'src/router.ts'] }]);
    expect(plan.levels).toEqual([['BAC-1'], ['BAC-2']]);
    expect(prediction.tasks.map((t) => [t.id, t.paths, t.predicted])).toEqual([
      ['BAC-1', ['src/router.ts'], { paths: 'It adds the /health route.' }],
      ['BAC-2', ['src/router.ts', 'docs/api.md'], { paths: 'It renames a route and documents it.' }],
    ]);
    expect(prediction.warnings).toEqual([]);
    expect(prediction.notes).toEqual([
      "The plan's prediction (claude-haiku-4-5) gave paths to 2 tasks and 0 dependencies",
    ]);
    expect(prediction.model).toBe(DEFAULT_PREDICTION_MODEL);
    expect(prediction.usage.input).toBeGreaterThan(0);
    expect(prediction.usage.output).toBeGreaterThan(0);
    // The tasks given are left as they were.
    expect(tasks[0]?.paths).toEqual([]);
  });

  it('sends the tasks and the file list to the model asked for, with the format the reply must take', async () => {
    const files = Array.from({ length: 2_500 }, (_, i) => `src/module-${i}.ts`);
    const tasks = [
      task('BAC-1', { title: 'Add a health check', prompt: 'Answer GET /health with 200.' }),
      task('BAC-2', { prompt: 'x'.repeat(5_000), paths: ['docs/**'] }),
    ];
    const { server } = await predict(tasks, { json: reply() }, { files, model: 'claude-sonnet-4-6' });

    const body = requestBody(server);
    expect(body.model).toBe('claude-sonnet-4-6');
    expect(body.output_config).toEqual({ format: PREDICTION_FORMAT });
    const text = body.messages[0]?.content ?? '';
    expect(text).toContain("# The repository's files (2,000 of 2,500, the rest left out)");
    expect(text).toContain('\nsrc/module-1999.ts\n');
    expect(text).not.toContain('src/module-2000.ts');
    const sent = JSON.parse(text.slice(text.indexOf('\n[') + 1)) as Record<string, unknown>[];
    expect(sent[0]).toEqual({
      id: 'BAC-1',
      title: 'Add a health check',
      prompt: 'Answer GET /health with 200.',
      predict: ['paths', 'depends_on'],
    });
    // The user's paths go along as theirs, and a long prompt goes cut short.
    expect(sent[1]).toMatchObject({ id: 'BAC-2', paths: ['docs/**'], predict: ['depends_on'] });
    expect(String(sent[1]?.['prompt']).length).toBe(2_000);
  });

  it("keeps the user's own paths over the prediction, so only predicted overlaps stack", async () => {
    const tasks = [task('BAC-1', { paths: ['docs/**'] }), task('BAC-2')];
    const { prediction } = await predict(tasks, {
      json: reply(
        { id: 'BAC-1', paths: ['src/router.ts'], paths_reason: 'It routes.' },
        { id: 'BAC-2', paths: ['src/router.ts'], paths_reason: 'It routes too.' },
      ),
    });

    expect(prediction.tasks.map((t) => [t.id, t.paths, t.predicted])).toEqual([
      ['BAC-1', ['docs/**'], undefined],
      ['BAC-2', ['src/router.ts'], { paths: 'It routes too.' }],
    ]);
    expect(planTasks(prediction.tasks).stacks).toEqual([]);
  });

  it('drops the predicted dependency that would close a cycle, and says which', async () => {
    const tasks = [task('BAC-1'), task('BAC-2'), task('BAC-3'), task('BAC-4', { dependsOn: ['BAC-1'] })];
    const { prediction } = await predict(tasks, {
      json: reply(
        { id: 'BAC-1', depends_on: ['BAC-2', 'BAC-4'], depends_on_reason: 'It uses the new session type.' },
        { id: 'BAC-2', depends_on: ['BAC-3'], depends_on_reason: 'It calls the new helper.' },
        { id: 'BAC-3', depends_on: ['BAC-1'], depends_on_reason: 'It extends the route.' },
      ),
    });

    expect(prediction.tasks.map((t) => [t.id, t.dependsOn, t.predicted?.dependsOn])).toEqual([
      ['BAC-1', ['BAC-2'], 'It uses the new session type.'],
      ['BAC-2', ['BAC-3'], 'It calls the new helper.'],
      ['BAC-3', [], undefined],
      ['BAC-4', ['BAC-1'], undefined],
    ]);
    expect(prediction.notes.slice(1)).toEqual([
      'BAC-1: a predicted dependency on BAC-4 is left out, as it would close the cycle BAC-1 → BAC-4 → BAC-1',
      'BAC-3: a predicted dependency on BAC-1 is left out, as it would close the cycle BAC-3 → BAC-1 → BAC-2 → BAC-3',
    ]);
    expect(planTasks(prediction.tasks).order).toEqual(['BAC-3', 'BAC-2', 'BAC-1', 'BAC-4']);
  });

  it('leaves out ids that are not tasks of the run and globs that are not narrow, with notes', async () => {
    const tasks = [task('BAC-1'), task('BAC-2')];
    const { prediction } = await predict(tasks, {
      json: reply(
        {
          id: 'BAC-1',
          paths: ['**', '../../etc/passwd', '!src/**', './src/router.ts', 'src/\u0007x', 'src/router.ts'],
          depends_on: ['BAC-1', 'BAC-9', 'rm -rf /', 'BAC-2', 'BAC-2'],
        },
        { id: 'BAC-77', paths: ['src/**'] },
        { id: 'BAC-2', paths: ['*/**/'] },
      ),
    });

    expect(prediction.tasks.map((t) => [t.id, t.paths, t.dependsOn, t.predicted])).toEqual([
      ['BAC-1', ['src/router.ts'], ['BAC-2'], { paths: 'no reason given', dependsOn: 'no reason given' }],
      ['BAC-2', [], [], undefined],
    ]);
    expect(prediction.notes).toEqual([
      "The plan's prediction (claude-haiku-4-5) gave paths to 1 task and 1 dependency",
      'The prediction answered for "BAC-77", not tasks of this run; those answers are ignored',
      'BAC-1: predicted paths "**", "../../etc/passwd", "!src/**", "src/\\u0007x" left out, as a prediction names files inside the repository, narrowly',
      'BAC-1: a predicted dependency on itself is left out',
      'BAC-1: predicted dependencies on "BAC-9", "rm -rf /" left out, as they are not tasks of this run',
      'BAC-2: predicted paths "*/**/" left out, as a prediction names files inside the repository, narrowly',
    ]);
  });

  it('leaves the tasks as written, with a warning, when the reply is not the JSON asked for', async () => {
    const tasks = [task('BAC-1'), task('BAC-2')];
    const { prediction } = await predict(tasks, { json: { plan: 'BAC-2 after BAC-1' } });

    expect(prediction.tasks).toEqual(tasks);
    expect(prediction.warnings).toEqual([
      "The plan's prediction was not the JSON asked for; the tasks run as written",
    ]);
    expect(prediction.notes).toEqual([]);
    // The reply was still paid for.
    expect(prediction.usage.output).toBeGreaterThan(0);
  });

  it('leaves the tasks as written, with a warning, when the call fails', async () => {
    const tasks = [task('BAC-1'), task('BAC-2')];
    const { prediction } = await predict(tasks, { json: reply() }, {}, { structuredOutput: false });

    expect(prediction.tasks).toEqual(tasks);
    expect(prediction.warnings).toEqual([
      "The plan's prediction failed (BadRequestError (HTTP 400): output_config.format: Extra inputs are not permitted); the tasks run as written",
    ]);
    expect(prediction.usage).toEqual({ input: 0, output: 0, cacheWrite: 0, cacheRead: 0 });
  });

  it('asks nothing when every task gives its paths and dependencies, or there is one task', async () => {
    const given = [
      task('BAC-1', { paths: ['src/**'], dependsOn: ['BAC-2'] }),
      task('BAC-2', { paths: ['docs/**'], dependsOn: ['BAC-3'] }),
      task('BAC-3', { paths: ['README.md'], dependsOn: ['BAC-1'] }),
    ];
    for (const tasks of [given, [task('BAC-1')]]) {
      const { server, prediction } = await predict(tasks, { json: reply() });
      expect(server.requests).toEqual([]);
      expect(prediction).toEqual({
        tasks,
        model: 'claude-haiku-4-5',
        usage: { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 },
        notes: [],
        warnings: [],
      });
    }
  });
});

describe('predictIfAsked in a shard that carries no prediction', () => {
  const set: TaskSet = { context: '', source: 'input `tasks`', tasks: [task('BAC-1'), task('BAC-2')] };
  const fix =
    'Give the plan step (`mode: plan`) `plan: predict` too and pass each shard `shard-plan: ${{ matrix.plan }}`, or leave `plan` out of every job of the fan-out';

  /** What shard 1 of a `plan: predict` fan-out throws, given `shardPlan` if defined; and its model's server. */
  async function refusal(shardPlan?: string) {
    const server = await startMessagesServer();
    servers.push(server);
    const inputs: Record<string, string> = {
      'anthropic-api-key': 'sk-ant-test',
      'anthropic-base-url': server.url,
      plan: 'predict',
      'max-shards': '2',
      shard: '1',
      ...(shardPlan === undefined ? {} : { 'shard-plan': shardPlan }),
    };
    const settings = readSettings((name) => inputs[name] ?? '', { GITHUB_WORKSPACE: tempDir() });
    const error: unknown = await predictIfAsked(settings, set).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    // An InputError is what the step reports in one line, without a stack trace.
    expect(error).toBeInstanceOf(InputError);
    return { message: (error as InputError).message, server };
  }

  it('refuses a shard-plan made without plan: predict, saying how to fix it, before any model call', async () => {
    const plain = {
      tasks: 4,
      digest: '0123456789abcdef',
      maxShards: 2,
      overlap: 'stack',
      shards: 2,
      shard: '1',
      ids: ['BAC-1'],
    };
    const { message, server } = await refusal(JSON.stringify(plain));
    expect(message).toBe(
      `input \`plan\` (shard 1): needs the prediction of the plan step, and \`shard-plan\` carries none. ${fix}`,
    );
    expect(server.requests).toEqual([]);
  });

  it('refuses a shard given no shard-plan, saying how to fix it, before any model call', async () => {
    const { message, server } = await refusal();
    expect(message).toBe(
      `input \`plan\` (shard 1): needs the prediction of the plan step, and no \`shard-plan\` is given. ${fix}`,
    );
    expect(server.requests).toEqual([]);
  });
});
