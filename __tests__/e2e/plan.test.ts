import fs from 'node:fs';
import path from 'node:path';
import { git, makeRepo } from '../../support/git-repo.js';
import { startGitHubServer } from '../../support/github-server.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { ROOT, examplePayload, runAction, type ActionRun } from '../../support/run-action.js';
import type { Scripts } from '../../support/script.js';

const FIXTURES = path.join(ROOT, '__tests__/fixtures/tasks');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

/** Three independent pairs, each held together by a dependency or an overlap: the plan spreads them over shards. */
const WIDE = `- WID-1: One
- WID-2: Two
  depends on: WID-1
- WID-3: Three
- WID-4: Four
  depends on: WID-3
- WID-5: Five
  paths: src/a/**
- WID-6: Six
  paths: src/a/b.ts
`;

const errors = (run: ActionRun) => run.stdout.split('\n').filter((l) => l.startsWith('::error::'));

let servers: MessagesServer[] = [];
async function server(scripts: Scripts = {}): Promise<MessagesServer> {
  const started = await startMessagesServer({ scripts });
  servers.push(started);
  return started;
}

/** `mode: plan` on a real `issues.labeled` payload whose issue body is `body`, its labeller allowed to write. */
async function planFromLabel(body: string) {
  const payload = examplePayload('issues', 'labeled');
  (payload.label as { name: string }).name = 'parallel-agents';
  (payload.issue as { body: string }).body = body;
  const github = await startGitHubServer({ permissions: { Codertocat: 'write' } });
  try {
    return await runAction({
      workspace: makeRepo({ 'README.md': '# x\n' }),
      inputs: { mode: 'plan', comment: 'false', 'github-token': 'ghs_planToken0123456789' },
      event: { name: 'issues', payload },
      env: { GITHUB_API_URL: github.url },
    });
  } finally {
    await github.close();
  }
}

/** Each run with the server it may call (none may call it but the shard's); each test reads its own. */
interface Case {
  model: MessagesServer;
  workspace: string;
  result: ActionRun;
}

/** A run of the built action on WIDE in a new repository, against a server of its own with these scripts. */
async function runWide(inputs: Record<string, string>, scripts: Scripts = {}): Promise<Case> {
  const model = await server(scripts);
  const workspace = makeRepo({ 'README.md': '# x\n' });
  const result = await runAction({
    workspace,
    inputs: {
      'anthropic-api-key': 'sk-shard',
      'anthropic-base-url': model.url,
      tasks: WIDE,
      'max-shards': '3',
      ...inputs,
    },
  });
  return { model, workspace, result };
}

/** The runs are independent, each with its own server, so they go out at once. */
let cases: { taskFile: Case; label: ActionRun; shard: Case; missingShard: Case };
beforeAll(async () => {
  const taskFile = async (): Promise<Case> => {
    const model = await server();
    const workspace = makeRepo({ 'planning/tasks.yml': fixture('tasks.yml') });
    const inputs = { mode: 'plan', 'tasks-file': 'planning/tasks.yml', 'anthropic-base-url': model.url };
    return { model, workspace, result: await runAction({ workspace, inputs }) };
  };
  const [file, label, shard, missing] = await Promise.all([
    taskFile(),
    // The template's body also proves the wiring: its tasks reach the plan from the event's issue.
    planFromLabel(fixture('issue-template.md')),
    // Shard 2 is WID-3 and WID-4: how the plan splits WIDE and numbers its shards is asserted on matrixFor.
    runWide({ shard: '2' }, { 'WID-3': [{ text: 'Three done.' }], 'WID-4': [{ text: 'Four done.' }] }),
    runWide({ shard: '7' }),
  ]);
  cases = { taskFile: file, label, shard, missingShard: missing };
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

describe('mode: plan, through the built action', () => {
  it('plans a task file with no API key and no model call, and sets the matrix', () => {
    const { model, result: run } = cases.taskFile;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(model.requests).toHaveLength(0);
    // The three tasks form one chain, so they share one shard.
    expect(JSON.parse(run.outputs.matrix!)).toEqual({
      include: [{ shard: '1', tasks: 'BAC-117,BAC-124,BAC-131', plan: expect.any(String) }],
    });
    expect(run.summary).toContain('## parallel-agents plan');
    expect(run.summary).toContain('```mermaid');
    expect(run.summary).toMatch(/flowchart/);
    expect(run.summary).toContain('BAC-117');
    expect(run.stdout).toContain('3 tasks from planning/tasks.yml');
  });

  it('reads exactly the real tasks from the issue a real issues.labeled event is about, its body made from an issue template', () => {
    const run = cases.label;
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs.matrix!)).toEqual({
      include: [{ shard: '1', tasks: 'BAC-117,BAC-124', plan: expect.any(String) }],
    });
    expect(run.stdout).toMatch(/2 tasks from issue #\d+/);
    expect(run.summary).not.toMatch(/ABC-|EXA-|BAC-500/);
  });
});

describe('mode: run with a shard', () => {
  it("runs only that shard's tasks", () => {
    const { model, workspace, result: run } = cases.shard;
    expect(run.code).toBe(0);
    const results = JSON.parse(run.outputs.results!) as { id: string; status: string }[];
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['WID-3', 'succeeded'],
      ['WID-4', 'succeeded'],
    ]);
    expect([...new Set(model.requests.map((r) => r.task))].sort()).toEqual(['WID-3', 'WID-4']);
    expect(git(workspace, 'branch', '--list', 'parallel-agents/*')).not.toContain('wid-1');
  });

  it('refuses a shard the plan does not have, in one line, before any model call', () => {
    const { model, result: run } = cases.missingShard;
    expect(run.code).toBe(1);
    // One input error proves that the step stops with one line; the dependency cycle's message is asserted on
    // planTasks, and a predicted shard's without a prediction on predictIfAsked.
    expect(errors(run)).toEqual([
      '::error::input `shard`: shard 7 does not exist: the plan has 3. Pass the `shard` values of the `matrix` output, with the same tasks and `max-shards` as the plan step',
    ]);
    expect(model.requests).toHaveLength(0);
  });
});
