import fs from 'node:fs';
import path from 'node:path';
import { git, makeRepo } from '../../support/git-repo.js';
import { startGitHubServer } from '../../support/github-server.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { ROOT, examplePayload, runAction } from '../../support/run-action.js';

const FIXTURES = path.join(ROOT, '__tests__/fixtures/tasks');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

/** Four independent pairs: each pair a dependency, so the plan can spread them over shards. */
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

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

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

describe('mode: plan, through the built action', () => {
  it('plans a task file with no API key and no model call, and sets the matrix', async () => {
    const workspace = makeRepo({ 'planning/tasks.yml': fixture('tasks.yml') });
    const run = await runAction({
      workspace,
      inputs: { mode: 'plan', 'tasks-file': 'planning/tasks.yml', 'anthropic-base-url': server.url },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(server.requests).toHaveLength(0);
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

  it('splits independent work over shards and keeps dependent and conflicting tasks together', async () => {
    const run = await runAction({
      workspace: makeRepo({ 'README.md': '# x\n' }),
      inputs: { mode: 'plan', tasks: WIDE, 'max-shards': '3' },
    });
    expect(run.code).toBe(0);
    const matrix = JSON.parse(run.outputs.matrix!) as { include: { shard: string; tasks: string }[] };
    expect(matrix.include.map((s) => s.shard)).toEqual(['1', '2', '3']);
    expect(matrix.include.map((s) => s.tasks).sort()).toEqual(['WID-1,WID-2', 'WID-3,WID-4', 'WID-5,WID-6']);
  });

  it('reads the tasks from the issue a real issues.labeled event is about', async () => {
    const run = await planFromLabel(fixture('tasks.md'));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs.matrix!)).toEqual({
      include: [{ shard: '1', tasks: 'BAC-117,BAC-124,BAC-131', plan: expect.any(String) }],
    });
    expect(run.stdout).toMatch(/3 tasks from issue #\d+/);
  });

  it('reads exactly the real tasks from a body made from an issue template', async () => {
    const run = await planFromLabel(fixture('issue-template.md'));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs.matrix!)).toEqual({
      include: [{ shard: '1', tasks: 'BAC-117,BAC-124', plan: expect.any(String) }],
    });
    expect(run.stdout).toMatch(/2 tasks from issue #\d+/);
    expect(run.summary).not.toMatch(/ABC-|EXA-|BAC-500/);
  });

  it('names a dependency cycle in one line and stops', async () => {
    const run = await runAction({
      workspace: makeRepo({ 'README.md': '# x\n' }),
      inputs: { mode: 'plan', tasks: '- CYC-1: a\n  depends on: CYC-2\n- CYC-2: b\n  depends on: CYC-1\n' },
    });
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('CYC-1 → CYC-2 → CYC-1');
  });
});

describe('mode: run with a shard', () => {
  it("runs only that shard's tasks", async () => {
    server.setScripts({
      'WID-3': [{ text: 'Three done.' }],
      'WID-4': [{ text: 'Four done.' }],
    });
    const plan = await runAction({
      workspace: makeRepo({ 'README.md': '# x\n' }),
      inputs: { mode: 'plan', tasks: WIDE, 'max-shards': '3' },
    });
    const shard = (
      JSON.parse(plan.outputs.matrix!) as { include: { shard: string; tasks: string }[] }
    ).include.find((s) => s.tasks === 'WID-3,WID-4')!;
    const workspace = makeRepo({ 'README.md': '# x\n' });
    const run = await runAction({
      workspace,
      inputs: {
        'anthropic-api-key': 'sk-shard',
        'anthropic-base-url': server.url,
        tasks: WIDE,
        'max-shards': '3',
        shard: shard.shard,
      },
    });
    expect(run.code).toBe(0);
    const results = JSON.parse(run.outputs.results!) as { id: string; status: string }[];
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['WID-3', 'succeeded'],
      ['WID-4', 'succeeded'],
    ]);
    expect([...new Set(server.requests.map((r) => r.task))].sort()).toEqual(['WID-3', 'WID-4']);
    expect(git(workspace, 'branch', '--list', 'parallel-agents/*')).not.toContain('wid-1');
  });

  it('refuses a shard the plan does not have', async () => {
    const run = await runAction({
      workspace: makeRepo({ 'README.md': '# x\n' }),
      inputs: { 'anthropic-api-key': 'sk-shard', tasks: WIDE, 'max-shards': '3', shard: '7' },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('::error::input `shard`: shard 7 does not exist: the plan has 3.');
    expect(server.requests).toHaveLength(0);
  });
});
