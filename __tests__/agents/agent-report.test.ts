import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { runAgent, type AgentOptions } from '../../src/agents/agent.js';
import { AGENT_REPORT_FORMAT, agentReportMarkdown, parseAgentReport } from '../../src/agents/agent-report.js';
import { systemPrompt } from '../../src/model/prompt.js';
import { Workspace } from '../../src/git/workspace.js';
import { EventStream, type RunEvent } from '../../src/events.js';
import { makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import type { Scripts } from '../../support/script.js';

const SCRIPTS: Scripts = {
  'BAC-9': [
    {
      text: 'Adding the note.',
      tools: [{ name: 'write', input: { file_path: 'NOTES.md', content: '# Notes\n' } }],
    },
    {
      text: 'Only part of it.',
      report: {
        outcome: 'partial',
        summary: 'Added `NOTES.md`; the **migration guide** is still missing.',
        changes: ['NOTES.md: new, with a heading'],
        risks: ['None: documentation only'],
        follow_ups: ['Write the migration guide', 'Link it from the README'],
      },
    },
  ],
};

const servers: MessagesServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function runWith(serverOptions: Parameters<typeof startMessagesServer>[0] = {}) {
  const server = await startMessagesServer({ scripts: SCRIPTS, recordBodies: true, ...serverOptions });
  servers.push(server);
  const events = new EventStream();
  const seen: RunEvent[] = [];
  events.on((e) => seen.push(e));
  const options: AgentOptions = {
    client: new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 }),
    task: { id: 'BAC-9', title: 'Write notes', prompt: '', dependsOn: [], paths: [] },
    system: systemPrompt('', ''),
    model: 'claude-sonnet-4-6',
    maxTurns: 5,
    timeoutMs: 30_000,
    tools: ['read', 'write'],
    workspace: new Workspace({ repo: makeRepo({ 'README.md': '# R\n' }), root: path.join(tempDir(), 'wt') }),
    events,
  };
  return { server, seen, result: await runAgent(options) };
}

describe("the agent's own report", () => {
  it('is asked for as structured output on every request, and its outcome, changes, risks and follow-ups are kept', async () => {
    const { server, result, seen } = await runWith();

    expect(server.requests.map((r) => [r.status, r.structured])).toEqual([
      [200, true],
      [200, true],
    ]);
    const first = server.requests[0]!.body as { output_config: unknown };
    expect(first.output_config).toEqual({ format: AGENT_REPORT_FORMAT });
    expect(result.status).toBe('succeeded');
    expect(result.agentReport).toEqual({
      outcome: 'partial',
      summary: 'Added `NOTES.md`; the **migration guide** is still missing.',
      changes: ['NOTES.md: new, with a heading'],
      risks: ['None: documentation only'],
      followUps: ['Write the migration guide', 'Link it from the README'],
    });
    // The report everything else shows (summary, comment, pull request) is its Markdown, not its JSON.
    expect(result.report).toBe(
      [
        'Added `NOTES.md`; the **migration guide** is still missing.',
        '**Changes**\n\n- NOTES.md: new, with a heading',
        '**Risks**\n\n- None: documentation only',
        '**Follow-ups**\n\n- Write the migration guide\n- Link it from the README',
      ].join('\n\n'),
    );
    // The live log reads the summary of the last turn, not its JSON.
    const turns = seen.flatMap((e) => (e.type === 'turn' ? [e.text] : []));
    expect(turns.at(-1)).toBe('Added `NOTES.md`; the **migration guide** is still missing.');
  });

  it('falls back to plain text, with a warning, where the endpoint refuses structured output', async () => {
    const { server, result, seen } = await runWith({ structuredOutput: false });

    expect(server.requests.map((r) => [r.status, r.structured])).toEqual([
      [400, true],
      [200, false],
      [200, false],
    ]);
    expect(result.status).toBe('succeeded');
    expect(result.agentReport).toBeUndefined();
    expect(result.report).toBe('Only part of it.');
    const warning = seen.find((e) => e.type === 'warning');
    expect(warning).toMatchObject({
      message: expect.stringMatching(/^BAC-9: the endpoint refused structured output \(.*output_config/),
    });
  });
});

describe('parseAgentReport', () => {
  it('reads a report, ignores extra fields, and takes a missing list as empty', () => {
    expect(
      parseAgentReport('{"outcome":"blocked","summary":"No access.","extra":1,"risks":["x",2]}'),
    ).toEqual({
      outcome: 'blocked',
      summary: 'No access.',
      changes: [],
      risks: ['x'],
      followUps: [],
    });
  });

  it('keeps at most 20 items of each list, each cut at 500 characters', () => {
    const long = 'x'.repeat(2_000);
    const report = parseAgentReport(
      JSON.stringify({
        outcome: 'done',
        summary: 's',
        changes: Array(50).fill(long),
        risks: [],
        follow_ups: [],
      }),
    );
    expect(report!.changes).toHaveLength(20);
    expect(report!.changes[0]).toHaveLength(500);
    expect(report!.changes[0]!.endsWith('…')).toBe(true);
  });

  it('takes text that is no report as none', () => {
    expect(parseAgentReport('Done: fixed it.')).toBeUndefined();
    expect(parseAgentReport('{"outcome":"finished","summary":"x"}')).toBeUndefined();
    expect(parseAgentReport('{"outcome":"done"}')).toBeUndefined();
    expect(parseAgentReport('["done"]')).toBeUndefined();
    expect(parseAgentReport('{"outcome":"done","summary":"cut off at max_tok')).toBeUndefined();
  });

  it('renders a report with no lists as its summary alone, one list item per line', () => {
    const report = { outcome: 'done' as const, summary: 'Fixed.\n', changes: [], risks: [], followUps: [] };
    expect(agentReportMarkdown(report)).toBe('Fixed.');
    expect(agentReportMarkdown({ ...report, risks: ['two\nlines'] })).toBe(
      'Fixed.\n\n**Risks**\n\n- two lines',
    );
  });
});
