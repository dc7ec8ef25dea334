import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { runAgent, type AgentOptions } from '../../src/agents/agent.js';
import { EventStream, isAgentEvent, type AgentEvent } from '../../src/events.js';
import { systemPrompt } from '../../src/model/prompt.js';
import { Workspace } from '../../src/git/workspace.js';
import { git, makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import type { Scripts } from '../../support/script.js';

const SCRIPTS: Scripts = {
  'BAC-7': [
    { text: 'Looking at the router.', tools: [{ name: 'read', input: { file_path: 'src/router.js' } }] },
    {
      tools: [
        {
          name: 'edit',
          input: {
            file_path: 'src/router.js',
            old_string: 'return "openai";',
            new_string: 'return model.startsWith("claude") ? "anthropic" : "openai";',
          },
        },
      ],
    },
    { text: 'Fixed the router: `claude-*` models now go to Anthropic.' },
  ],
};

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer({ scripts: SCRIPTS });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.setScripts(SCRIPTS);
});

function setup(overrides: Partial<AgentOptions> = {}, serverUrl = server.url) {
  const repo = makeRepo({ 'src/router.js': 'export function route(model) {\n  return "openai";\n}\n' });
  const events = new EventStream();
  const seen: AgentEvent[] = [];
  events.on((e) => isAgentEvent(e) && seen.push(e));
  const options: AgentOptions = {
    client: new Anthropic({ apiKey: 'test-key', baseURL: serverUrl, maxRetries: 0 }),
    task: {
      id: 'BAC-7',
      title: 'Fix routing',
      prompt: 'claude models go to the wrong provider',
      dependsOn: [],
      paths: [],
    },
    system: systemPrompt('', ''),
    model: 'claude-sonnet-4-6',
    maxTurns: 10,
    timeoutMs: 30_000,
    tools: ['read', 'write', 'edit', 'glob', 'grep'],
    workspace: new Workspace({ repo, root: path.join(tempDir(), 'worktrees') }),
    events,
    ...overrides,
  };
  return { repo, options, seen };
}

describe('runAgent', () => {
  it('works in its own worktree over a server-held thread and commits the change to its branch', async () => {
    const { repo, options, seen } = setup();
    const result = await runAgent(options);

    expect(result).toMatchObject({
      status: 'succeeded',
      turns: 3,
      toolCalls: 2,
      report: 'Fixed the router: `claude-*` models now go to Anthropic.',
      branch: 'parallel-agents/bac-7-fix-routing',
      filesChanged: ['src/router.js'],
      insertions: 1,
      deletions: 1,
    });
    expect(result.usage.output).toBeGreaterThan(0);
    expect(git(repo, 'show', `${result.branch}:src/router.js`)).toContain('startsWith("claude")');
    expect(fs.readFileSync(path.join(repo, 'src/router.js'), 'utf8')).toContain('return "openai";');
    expect(server.requests.map((r) => r.thread)).toEqual(['create', 'continue', 'continue']);
    expect(seen.map((e) => e.type)).toEqual([
      'started',
      'usage',
      'turn',
      'tool-call',
      'progress',
      'tool-result',
      'usage',
      'turn',
      'tool-call',
      'progress',
      'tool-result',
      'usage',
      'turn',
    ]);
    // Without a report of its own, each tool call says what the agent is doing.
    expect(seen.flatMap((e) => (e.type === 'progress' ? [[e.doing, e.reported]] : []))).toEqual([
      ['reading src/router.js', false],
      ['editing src/router.js', false],
    ]);
  });

  it('commits under a title that closes and notifies nothing, whatever the issue says', async () => {
    const { repo, options } = setup();
    const result = await runAgent({ ...options, task: { ...options.task, title: 'Fixes #1 for @octocat' } });
    const subject = git(repo, 'log', '-1', '--format=%s', result.branch).trim();
    expect(subject.replace(/\u200b/g, '')).toBe('BAC-7: Fixes #1 for @octocat');
    expect(subject).not.toMatch(/Fixes #1|@octocat/);
  });

  it('reports its own progress, which stands for its turn and the next before its tool calls stand in again', async () => {
    server.setScripts({
      'BAC-7': [
        {
          tools: [
            { name: 'report_progress', input: { percent: 40, doing: 'Reading the router' } },
            { name: 'read', input: { file_path: 'src/router.js' } },
          ],
        },
        { tools: [{ name: 'read', input: { file_path: 'src/router.js' } }] },
        { tools: [{ name: 'write', input: { file_path: 'NOTES.md', content: 'notes\n' } }] },
        { text: 'Done.' },
      ],
    });
    const { options, seen } = setup();
    const result = await runAgent(options);

    expect(result.status).toBe('succeeded');
    expect(seen.flatMap((e) => (e.type === 'progress' ? [[e.percent, e.doing, e.reported]] : []))).toEqual([
      [40, 'Reading the router', true],
      [null, 'writing NOTES.md', false],
    ]);
    // The progress tool touches no file: only the write is in the commit.
    expect(result.filesChanged).toEqual(['NOTES.md']);
  });

  it('falls back to full-history requests when the endpoint refuses threads', async () => {
    const gateway = await startMessagesServer({ scripts: SCRIPTS, threads: false });
    try {
      const { options } = setup({}, gateway.url);
      const result = await runAgent(options);
      expect(result.status).toBe('succeeded');
      expect(result.turns).toBe(3);
      const answered = gateway.requests.filter((r) => r.status === 200);
      expect(answered.map((r) => [r.thread, r.messages])).toEqual([
        ['none', 1],
        ['none', 3],
        ['none', 5],
      ]);
    } finally {
      await gateway.close();
    }
  });

  it('stops at max-turns with its own status and keeps what it changed', async () => {
    const { repo, options } = setup({ maxTurns: 2 });
    const result = await runAgent(options);
    expect(result.status).toBe('turn-limit');
    expect(result.error).toBe('stopped after 2 turns (max-turns)');
    expect(git(repo, 'show', `${result.branch}:src/router.js`)).toContain('startsWith("claude")');
  });

  it('commits a file written after its changes were last staged ahead (its last tool call had no reply after it)', async () => {
    server.setScripts({
      'BAC-7': [
        { tools: [{ name: 'write', input: { file_path: 'first.md', content: 'first\n' } }] },
        // Staged ahead while this reply is on its way; its tool call is the last: max-turns allows no more.
        { tools: [{ name: 'write', input: { file_path: 'second.md', content: 'second\n' } }] },
        { text: 'Never asked for.' },
      ],
    });
    const { repo, options } = setup({ maxTurns: 2 });
    const result = await runAgent(options);

    expect(result.status).toBe('turn-limit');
    expect(result.filesChanged).toEqual(['first.md', 'second.md']);
    expect(git(repo, 'show', `${result.branch}:second.md`)).toBe('second');
  });

  it('stages its changes ahead of the commit only without a shell, and commits what an edit changed since', async () => {
    class Counting extends Workspace {
      stagings = 0;
      override stageAhead(worktree: Parameters<Workspace['stageAhead']>[0]) {
        this.stagings += 1;
        return super.stageAhead(worktree);
      }
    }
    const script: Scripts = {
      'BAC-7': [
        { tools: [{ name: 'write', input: { file_path: 'notes.md', content: 'draft\n' } }] },
        {
          tools: [
            { name: 'edit', input: { file_path: 'notes.md', old_string: 'draft', new_string: 'final' } },
          ],
        },
        { text: 'Wrote the notes.' },
      ],
    };
    const outcomes = [];
    for (const tools of [
      ['read', 'write', 'edit'],
      ['read', 'write', 'edit', 'bash'],
    ] as const) {
      server.setScripts(script);
      const { repo, options } = setup({ tools: [...tools] });
      const workspace = new Counting({ repo, root: path.join(tempDir(), 'worktrees') });
      const result = await runAgent({ ...options, workspace });
      outcomes.push({ stagings: workspace.stagings, notes: git(repo, 'show', `${result.branch}:notes.md`) });
    }

    // Staged after the write and again after the edit; with bash (which can leave a process writing) not at all.
    expect(outcomes).toEqual([
      { stagings: 2, notes: 'final' },
      { stagings: 0, notes: 'final' },
    ]);
  });

  it('stops at its timeout while the model hangs', async () => {
    server.setScripts({ 'BAC-7': [{ fault: { kind: 'hang' } }] });
    const { options } = setup({ timeoutMs: 300 });
    const result = await runAgent(options);
    expect(result.status).toBe('timeout');
    expect(result.seconds).toBeLessThan(5);
  });

  it('gives the model only the allowed tools, and the progress and notes tools every agent has', async () => {
    const { options } = setup({ tools: ['read', 'grep'] });
    server.setScripts({ 'BAC-7': [{ text: 'Nothing to do.' }] });
    const recording = await startMessagesServer({
      scripts: { 'BAC-7': [{ text: 'Nothing to do.' }] },
      recordBodies: true,
    });
    try {
      await runAgent({ ...options, client: new Anthropic({ apiKey: 'k', baseURL: recording.url }) });
      const body = recording.requests[0]!.body as { tools: { name: string }[] };
      expect(body.tools.map((t) => t.name)).toEqual(['read', 'grep', 'report_progress', 'team_notes']);
      // What the action knows of a tool (whether it writes) stays on this side.
      expect(JSON.stringify(body.tools)).not.toMatch(/writes|usesWorktree/);
    } finally {
      await recording.close();
    }
  });

  it('keeps the file tools inside the worktree: ../, absolute paths and symlinks out get a tool error', async () => {
    const outside = tempDir('pa-outside-');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'outside the worktree\n');
    const repo = makeRepo({ 'README.md': '# Confined\n' });
    fs.symlinkSync(outside, path.join(repo, 'escape'));
    git(repo, 'add', 'escape');
    git(repo, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qm', 'a link out');
    const relativeOut = path.relative(
      path.join(tempDir(), 'worktrees', 'bac-7'),
      path.join(outside, 'secret.txt'),
    );
    server.setScripts({
      'BAC-7': [
        {
          tools: [
            { name: 'read', input: { file_path: '../../../../../../../../etc/passwd' } },
            { name: 'read', input: { file_path: '/etc/passwd' } },
            { name: 'read', input: { file_path: 'escape/secret.txt' } },
            { name: 'read', input: { file_path: relativeOut } },
            { name: 'write', input: { file_path: 'escape/planted.txt', content: 'x' } },
            { name: 'write', input: { file_path: path.join(outside, 'absolute.txt'), content: 'x' } },
            {
              name: 'edit',
              input: { file_path: 'escape/secret.txt', old_string: 'outside', new_string: 'owned' },
            },
          ],
        },
        { text: 'Could not get out.' },
      ],
    });
    const { options, seen } = setup({
      workspace: new Workspace({ repo, root: path.join(tempDir(), 'worktrees') }),
    });
    const result = await runAgent(options);

    const results = seen.filter((e) => e.type === 'tool-result');
    expect(results).toHaveLength(7);
    expect(results.every((e) => e.type === 'tool-result' && e.isError)).toBe(true);
    const said = JSON.stringify(results);
    expect(said).not.toContain('root:x:0:0');
    expect(said).not.toContain('outside the worktree');
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('outside the worktree\n');
    expect(result.status).toBe('succeeded');
    expect(result.filesChanged).toEqual([]);
  });
});
