import fs from 'node:fs';
import { makeRepo } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { DIST, runAction, type ActionRun } from '../../support/run-action.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-failFastRefusedKey0123456789';
const GOOD_KEY = 'sk-ant-api03-failFastGoodKey0123456789';
// Three tasks are enough to tell one request from one a task, and each costs the run a worktree.
const IDS = ['FF-1', 'FF-2', 'FF-3'];
const TASKS = IDS.map((id) => `- ${id}: Task ${id}`).join('\n');
const SCRIPTS: Scripts = Object.fromEntries(IDS.map((id) => [id, [{ text: `Did ${id}.` }]]));

type Row = { id: string; status: string; error?: string };

let servers: MessagesServer[] = [];
async function server(options: Parameters<typeof startMessagesServer>[0]): Promise<MessagesServer> {
  const started = await startMessagesServer({ scripts: SCRIPTS, latencyMs: 100, ...options });
  servers.push(started);
  return started;
}

/** Each case's own server and the run of the built action against it. */
interface Case {
  model: MessagesServer;
  result: ActionRun;
}

const UNKNOWN_MODEL_TASKS = `${TASKS}\n- FF-4: On another model\n  model: claude-nonexistent-9\n- FF-5: Also on it\n  model: claude-nonexistent-9`;

/** The runs are independent, each with its own server, so they go out at once; each test reads its own. */
let cases: Record<string, Case>;
beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  const started = async (
    options: Parameters<typeof startMessagesServer>[0],
    path: string,
    inputs: Record<string, string> = {},
  ): Promise<Case> => {
    const model = await server(options);
    return { model, result: await run(`${model.url}${path}`, inputs) };
  };
  const named = {
    refused: started({ apiKeys: [GOOD_KEY] }, ''),
    // No other test shows that fail-on cannot hide a refusal.
    refusedFailOnNone: started({ apiKeys: [GOOD_KEY] }, '', { 'fail-on': 'none' }),
    unknownModel: started({ models: ['claude-sonnet-4-6'] }, '', { tasks: UNKNOWN_MODEL_TASKS }),
    // One kind of wrong base URL is enough here: the others' messages are asserted in model-gate.test.ts.
    website: started({ website: { status: 200 } }, '/anthropic'),
    overloaded: started({ scripts: { ...SCRIPTS, 'FF-2': [{ fault: { kind: 'http', status: 500 } }] } }, ''),
  };
  const done = await Promise.all(Object.values(named));
  cases = Object.fromEntries(Object.keys(named).map((name, i) => [name, done[i]!]));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function run(baseUrl: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    workspace: makeRepo({ 'README.md': '# x\n' }),
    inputs: {
      'anthropic-api-key': API_KEY,
      'anthropic-base-url': baseUrl,
      tasks: TASKS,
      'max-concurrency': '3',
      ...inputs,
    },
  });
}

const errors = (run: ActionRun) => run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
const rows = (run: ActionRun) => JSON.parse(run.outputs.results!) as Row[];
/** The agent table's status cells: a failure shows as ❌. */
const failureRows = (run: ActionRun) =>
  run.summary.split('\n').filter((l) => /^\| \*\*FF-\d\*\* .*❌/.test(l));

describe('what no retry fixes fails the run once, through the built action', () => {
  it('a refused key: one error line, no agent failure rows, one request', () => {
    const { model, result } = cases.refused!;
    expect(result.code).toBe(1);
    expect(errors(result)).toEqual([
      `::error::the Anthropic API refused the key (401 authentication_error: invalid x-api-key) at ${model.url}: check the anthropic-api-key secret`,
    ]);
    expect(model.requests).toHaveLength(1);
    expect(rows(result).map((r) => r.status)).toEqual(IDS.map(() => 'skipped'));
    expect(rows(result)[2]!.error).toMatch(/^not started: the Anthropic API refused the key/);
    expect(failureRows(result)).toEqual([]);
    expect(result.summary).toContain('0/3 tasks succeeded · 3 skipped');
    // The key itself is named nowhere.
    expect(result.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain(API_KEY);
  });

  it('is refused the same way even with fail-on: none', () => {
    const { model, result } = cases.refusedFailOnNone!;
    expect(result.code).toBe(1);
    expect(errors(result)).toHaveLength(1);
    expect(model.requests).toHaveLength(1);
  });

  it('an unknown model: one error naming it, one request, and the tasks on a known model still run', () => {
    const { model, result } = cases.unknownModel!;
    expect(result.code).toBe(1);
    expect(errors(result)).toEqual([
      `::error::the Anthropic API does not know the model "claude-nonexistent-9" (404 not_found_error: model: claude-nonexistent-9) at ${model.url}: check the model input, or the model field of the tasks that name it`,
    ]);
    expect(model.requests.filter((r) => r.model === 'claude-nonexistent-9')).toHaveLength(1);
    const statuses = Object.fromEntries(rows(result).map((r) => [r.id, r.status]));
    expect(statuses).toEqual({
      ...Object.fromEntries(IDS.map((id) => [id, 'succeeded'])),
      'FF-4': 'skipped',
      'FF-5': 'skipped',
    });
    expect(failureRows(result)).toEqual([]);
  });

  it('a base URL that answers 200 with a web page: one error, one request', () => {
    const { model: site, result } = cases.website!;
    expect(result.code).toBe(1);
    expect(errors(result)).toEqual([
      `::error::${site.url}/anthropic is not the Anthropic Messages API (POST /v1/messages answered 200 with text/html): check anthropic-base-url`,
    ]);
    expect(site.requests).toHaveLength(1);
    expect(failureRows(result)).toEqual([]);
  });

  it('an overloaded endpoint keeps its retries and ends one agent at most', () => {
    const { model, result } = cases.overloaded!;
    const statuses = Object.fromEntries(rows(result).map((r) => [r.id, r.status]));
    expect(statuses).toEqual({ ...Object.fromEntries(IDS.map((id) => [id, 'succeeded'])), 'FF-2': 'failed' });
    // The SDK's own retries: the first try and two more.
    expect(model.requests.filter((r) => r.task === 'FF-2')).toHaveLength(3);
    expect(errors(result)).toEqual([expect.stringMatching(/^::error::1 of 3 agents did not succeed/)]);
  });
});
