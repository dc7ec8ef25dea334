import { InputError } from '../../src/errors.js';
import { LinearApiError, resolveLinearTasks } from '../../src/tasks/linear.js';
import type { Task, TaskSet } from '../../src/tasks/task.js';
import {
  startLinearServer,
  type LinearIssueFixture,
  type LinearServer,
  type LinearServerOptions,
} from '../../support/linear-server.js';

const KEY = 'lin_api_Zq8XkT3vR7mN2pL5sW9yB4cD6fG1hJ0a';

let server: LinearServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(
  issues: LinearIssueFixture[],
  options: Partial<LinearServerOptions> = {},
): Promise<LinearServer> {
  server = await startLinearServer({ issues, apiKey: KEY, ...options });
  return server;
}

function task(id: string, fields: Partial<Task> = {}): Task {
  return { id, title: '', prompt: '', dependsOn: [], paths: [], ...fields };
}

function taskSet(...tasks: Task[]): TaskSet {
  return { context: 'Shared context.', tasks, source: 'tasks.yml' };
}

function byId(set: TaskSet): Record<string, Task> {
  return Object.fromEntries(set.tasks.map((t) => [t.id, t]));
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('resolveLinearTasks', () => {
  it('fills in titles, descriptions and estimates (points read as hours) from Linear', async () => {
    const linear = await serve([
      {
        identifier: 'BAC-1',
        title: 'Rate-limit the gateway',
        description: 'Add a token bucket.\n',
        estimate: 3,
        priority: 2,
      },
      { identifier: 'BAC-2', title: 'Document the limits', description: null },
    ]);

    const { set, notes } = await resolveLinearTasks(taskSet(task('BAC-1'), task('BAC-2')), {
      apiKey: KEY,
      apiUrl: linear.url,
    });

    expect(set.tasks).toEqual([
      task('BAC-1', { title: 'Rate-limit the gateway', prompt: 'Add a token bucket.', estimate: 3 }),
      task('BAC-2', { title: 'Document the limits' }),
    ]);
    expect(set.tasks[1]).not.toHaveProperty('estimate');
    expect(set.context).toBe('Shared context.');
    expect(set.source).toBe('tasks.yml');
    expect(notes).toEqual([]);
  });

  it('turns a blocks relation between two tasks into a dependency and ignores relations leaving the set', async () => {
    const linear = await serve([
      { identifier: 'BAC-1', title: 'Schema', relations: [{ type: 'blocks', relatedIssue: 'BAC-2' }] },
      { identifier: 'BAC-2', title: 'API', relations: [{ type: 'blocks', relatedIssue: 'OPS-5' }] },
      { identifier: 'BAC-3', title: 'Docs', relations: [{ type: 'related', relatedIssue: 'BAC-1' }] },
      { identifier: 'OPS-5', title: 'Deploy' },
      { identifier: 'OPS-6', title: 'Provision', relations: [{ type: 'blocks', relatedIssue: 'BAC-1' }] },
    ]);

    const { set } = await resolveLinearTasks(taskSet(task('BAC-1'), task('BAC-2'), task('BAC-3')), {
      apiKey: KEY,
      apiUrl: linear.url,
    });

    const tasks = byId(set);
    expect(tasks['BAC-1']!.dependsOn).toEqual([]);
    expect(tasks['BAC-2']!.dependsOn).toEqual(['BAC-1']);
    expect(tasks['BAC-3']!.dependsOn).toEqual([]);
    expect(set.tasks.map((t) => t.id)).toEqual(['BAC-1', 'BAC-2', 'BAC-3']);
  });

  it('reads a blocked-by relation from the blocked issue when the blocker has too many relations to list', async () => {
    const others = Array.from({ length: 55 }, (_, i) => ({ identifier: `OPS-${i + 1}`, title: 'Other' }));
    const linear = await serve([
      {
        identifier: 'BAC-1',
        title: 'Blocks a lot',
        relations: [
          ...others.map((o) => ({ type: 'blocks' as const, relatedIssue: o.identifier })),
          { type: 'blocks', relatedIssue: 'BAC-2' },
        ],
      },
      { identifier: 'BAC-2', title: 'Blocked' },
      ...others,
    ]);

    const { set } = await resolveLinearTasks(taskSet(task('BAC-1'), task('BAC-2')), {
      apiKey: KEY,
      apiUrl: linear.url,
    });

    expect(byId(set)['BAC-2']!.dependsOn).toEqual(['BAC-1']);
  });

  it('lists dependencies from Linear in the order of the tasks', async () => {
    const linear = await serve([
      { identifier: 'BAC-1', title: 'One', relations: [{ type: 'blocks', relatedIssue: 'BAC-3' }] },
      { identifier: 'BAC-2', title: 'Two', relations: [{ type: 'blocks', relatedIssue: 'BAC-3' }] },
      { identifier: 'BAC-3', title: 'Three' },
    ]);

    const { set } = await resolveLinearTasks(taskSet(task('BAC-2'), task('BAC-3'), task('BAC-1')), {
      apiKey: KEY,
      apiUrl: linear.url,
    });

    expect(byId(set)['BAC-3']!.dependsOn).toEqual(['BAC-2', 'BAC-1']);
  });

  it('keeps what the file says over what Linear says', async () => {
    const linear = await serve([
      {
        identifier: 'BAC-1',
        title: 'Linear title',
        description: 'Linear description',
        estimate: 8,
        relations: [{ type: 'blocks', relatedIssue: 'BAC-2' }],
      },
      { identifier: 'BAC-2', title: 'Linear title 2', description: 'Linear description 2', estimate: 5 },
      { identifier: 'BAC-3', title: 'Linear title 3' },
    ]);
    const fromFile = task('BAC-2', {
      title: 'File title',
      prompt: 'File prompt',
      estimate: 0.5,
      dependsOn: ['BAC-3'],
      paths: ['src/api/**'],
      model: 'claude-haiku-4-5',
      where: 'tasks.yml line 7',
    });

    const { set } = await resolveLinearTasks(taskSet(task('BAC-1'), fromFile, task('BAC-3')), {
      apiKey: KEY,
      apiUrl: linear.url,
    });

    expect(byId(set)['BAC-2']).toEqual(fromFile);
    expect(byId(set)['BAC-1']).toEqual(
      task('BAC-1', { title: 'Linear title', prompt: 'Linear description', estimate: 8 }),
    );
  });

  it('skips issues that are done or canceled in Linear, with a note, and drops dependencies on them', async () => {
    const linear = await serve([
      { identifier: 'BAC-9', title: 'Old', state: { name: 'Done', type: 'completed' } },
      { identifier: 'BAC-10', title: 'Dropped', state: { name: 'Canceled', type: 'canceled' } },
      {
        identifier: 'BAC-11',
        title: 'Current',
        state: { name: 'In Progress', type: 'started' },
        relations: [],
      },
      {
        identifier: 'BAC-12',
        title: 'Next',
        state: { name: 'Backlog', type: 'backlog' },
      },
    ]);

    const { set, notes } = await resolveLinearTasks(
      taskSet(task('BAC-9'), task('BAC-10'), task('BAC-11', { dependsOn: ['BAC-9'] }), task('BAC-12')),
      { apiKey: KEY, apiUrl: linear.url },
    );

    expect(set.tasks.map((t) => t.id)).toEqual(['BAC-11', 'BAC-12']);
    expect(byId(set)['BAC-11']!.dependsOn).toEqual([]);
    expect(notes).toEqual([
      'BAC-9 is Done in Linear; skipped (BAC-11 no longer waits for it)',
      'BAC-10 is Canceled in Linear; skipped',
    ]);
  });

  it('fails naming the id Linear does not know, where the task was defined', async () => {
    const linear = await serve([{ identifier: 'BAC-1', title: 'Known' }]);

    const error = await failure(
      resolveLinearTasks(taskSet(task('BAC-1'), task('BAC-999', { where: 'tasks.yml line 4' })), {
        apiKey: KEY,
        apiUrl: linear.url,
      }),
    );

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'tasks.yml line 4: BAC-999 was not found in Linear. ' +
        'Check the id, or leave linear-api-key out to use the tasks as written',
    );
    expect(linear.requests).toHaveLength(1);
  });

  it('names every unknown id at once, and the input when the task says nothing of where it came from', async () => {
    const linear = await serve([{ identifier: 'BAC-1', title: 'Known' }]);

    const error = await failure(
      resolveLinearTasks(taskSet(task('BAC-998'), task('BAC-1'), task('BAC-999')), {
        apiKey: KEY,
        apiUrl: linear.url,
      }),
    );

    expect(error.message).toBe(
      'input `linear-api-key`: BAC-998, BAC-999 were not found in Linear. ' +
        'Check the id, or leave linear-api-key out to use the tasks as written',
    );
  });

  it('fails on a refused key with a message naming the input and not the key', async () => {
    const linear = await serve([{ identifier: 'BAC-1', title: 'Known' }]);
    const wrongKey = 'lin_api_WRONGwrongWRONGwrong0000000000000';

    const error = await failure(
      resolveLinearTasks(taskSet(task('BAC-1')), { apiKey: wrongKey, apiUrl: linear.url }),
    );

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'input `linear-api-key`: Linear refused the API key. ' +
        'Create a personal API key in Linear (Settings → Security & access → Personal API keys) ' +
        'and store it as a secret',
    );
    expect(error.message).not.toContain(wrongKey);
    expect(linear.requests.map((r) => r.status)).toEqual([401]);
  });

  it('sends the key as the Authorization header exactly, without Bearer', async () => {
    const linear = await serve([{ identifier: 'BAC-1', title: 'Known' }]);

    await resolveLinearTasks(taskSet(task('BAC-1')), { apiKey: KEY, apiUrl: linear.url });

    expect(linear.requests).toHaveLength(1);
    expect(linear.requests[0]!.authorization).toBe(KEY);
    expect(linear.requests[0]!.method).toBe('POST');
  });

  it('fetches every id in one request', async () => {
    const ids = ['BAC-1', 'BAC-2', 'BAC-3', 'OPS-4', 'OPS-5'];
    const linear = await serve(ids.map((identifier) => ({ identifier, title: `Title of ${identifier}` })));

    const { set } = await resolveLinearTasks(taskSet(...ids.map((id) => task(id))), {
      apiKey: KEY,
      apiUrl: linear.url,
    });

    expect(linear.requests).toHaveLength(1);
    expect(Object.values(linear.requests[0]!.variables).sort()).toEqual([...ids].sort());
    expect(set.tasks.map((t) => t.title)).toEqual(ids.map((id) => `Title of ${id}`));
  });

  it('splits a large set into requests Linear accepts', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `BAC-${i + 1}`);
    const linear = await serve(ids.map((identifier) => ({ identifier, title: identifier })));

    const { set } = await resolveLinearTasks(taskSet(...ids.map((id) => task(id))), {
      apiKey: KEY,
      apiUrl: linear.url,
    });

    expect(linear.requests.map((r) => Object.keys(r.variables).length)).toEqual([25, 5]);
    expect(set.tasks).toHaveLength(30);
  });

  it('waits out a 429 for as long as retry-after says, then succeeds', async () => {
    const linear = await serve([{ identifier: 'BAC-1', title: 'Known' }], {
      rateLimitNext: 1,
      retryAfterSeconds: 1,
    });

    const started = Date.now();
    const { set } = await resolveLinearTasks(taskSet(task('BAC-1')), { apiKey: KEY, apiUrl: linear.url });

    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(linear.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(linear.requests[0]!.errors).toEqual(['RATELIMITED']);
    expect(set.tasks[0]!.title).toBe('Known');
  });

  it('retries a RATELIMITED error whatever the HTTP status', async () => {
    const linear = await serve([{ identifier: 'BAC-1', title: 'Known' }], {
      rateLimitNext: 2,
      rateLimitStatus: 400,
      retryAfterSeconds: 0,
    });

    const { set } = await resolveLinearTasks(taskSet(task('BAC-1')), {
      apiKey: KEY,
      apiUrl: linear.url,
      backoffMs: 10,
    });

    expect(linear.requests.map((r) => r.status)).toEqual([400, 400, 200]);
    expect(set.tasks[0]!.title).toBe('Known');
  });

  it('gives up after the retries with a message saying so', async () => {
    const linear = await serve([{ identifier: 'BAC-1', title: 'Known' }], {
      rateLimitNext: 10,
      retryAfterSeconds: 0,
    });

    const error = await failure(
      resolveLinearTasks(taskSet(task('BAC-1')), {
        apiKey: KEY,
        apiUrl: linear.url,
        retries: 2,
        backoffMs: 10,
      }),
    );

    expect(error).toBeInstanceOf(LinearApiError);
    expect(error.message).toBe(
      'Linear kept rate-limiting the requests (3 attempts); run again in a few minutes',
    );
    expect((error as LinearApiError).code).toBe('RATELIMITED');
    expect(linear.requests).toHaveLength(3);
  });

  it('sends a request Linear failed with a 5xx again, waiting longer each time, and says so when it keeps failing', async () => {
    const broken = { status: 502, body: '<html>Bad Gateway</html>' };
    const linear = await serve([{ identifier: 'BAC-1', title: 'Known' }], {
      answers: [broken, broken],
    });

    const started = Date.now();
    const { set } = await resolveLinearTasks(taskSet(task('BAC-1')), {
      apiKey: KEY,
      apiUrl: linear.url,
      backoffMs: 50,
    });

    // 50 ms, then 100 ms, each up to twice that.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(linear.requests.map((r) => r.status)).toEqual([502, 502, 200]);
    expect(set.tasks[0]!.title).toBe('Known');

    await linear.close();
    const down = await serve([], { answers: [broken, broken, broken] });
    const error = await failure(
      resolveLinearTasks(taskSet(task('BAC-1')), {
        apiKey: KEY,
        apiUrl: down.url,
        retries: 2,
        backoffMs: 10,
      }),
    );
    expect(error).toBeInstanceOf(LinearApiError);
    expect(error.message).toBe('Linear answered HTTP 502 (3 attempts); run again later');
  });

  it('fails at once when the rate limit resets too late to wait for', async () => {
    // No retry-after: the request budget's reset header says the hour's window ends in an hour.
    const linear = await serve([{ identifier: 'BAC-1', title: 'Known' }], {
      rateLimitNext: 1,
      retryAfterSeconds: null,
    });

    const error = await failure(
      resolveLinearTasks(taskSet(task('BAC-1')), { apiKey: KEY, apiUrl: linear.url }),
    );

    expect(error).toBeInstanceOf(LinearApiError);
    expect(error.message).toBe("Linear's rate limit for this API key resets in 60 min; run again then");
    expect(linear.requests).toHaveLength(1);
  });

  it('stops waiting when the signal aborts', async () => {
    const linear = await serve([{ identifier: 'BAC-1', title: 'Known' }], {
      rateLimitNext: 1,
      retryAfterSeconds: 30,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled')), 100);

    const started = Date.now();
    const error = await failure(
      resolveLinearTasks(taskSet(task('BAC-1')), {
        apiKey: KEY,
        apiUrl: linear.url,
        signal: controller.signal,
      }),
    );

    expect(error.message).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(linear.requests).toHaveLength(1);
  });

  it('says where Linear could not be reached, without the key', async () => {
    const linear = await serve([]);
    const url = linear.url;
    await linear.close();
    server = undefined;

    const error = await failure(
      resolveLinearTasks(taskSet(task('BAC-1')), { apiKey: KEY, apiUrl: url, retries: 0 }),
    );

    expect(error).toBeInstanceOf(LinearApiError);
    expect(error.message).toMatch(new RegExp(`^Could not reach Linear at ${url.replace(/\./g, '\\.')}: `));
    expect(error.message).not.toContain(KEY);
  });

  it('asks nothing of Linear for an empty set', async () => {
    const linear = await serve([]);

    const { set, notes } = await resolveLinearTasks(taskSet(), { apiKey: KEY, apiUrl: linear.url });

    expect(set.tasks).toEqual([]);
    expect(notes).toEqual([]);
    expect(linear.requests).toHaveLength(0);
  });
});
