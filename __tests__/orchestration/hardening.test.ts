import fs from 'node:fs';
import path from 'node:path';
import { makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { runInProcess } from '../../support/run-in-process.js';

// What a careless user's or an attacker's run broke, each through the action's own entry point in this process.

const API_KEY = 'sk-ant-api03-hardeningSECRETkey0123456789';
const GITHUB_TOKEN = 'ghs_hardeningToken0123456789abcdefABCDEF';

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer({ latencyMs: 20 });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const repo = () => makeRepo({ 'README.md': '# Gateway\n' });
const inputs = (tasks: string, extra: Record<string, string> = {}) => ({
  'anthropic-api-key': API_KEY,
  'anthropic-base-url': server.url,
  tasks,
  ...extra,
});
const lines = (stdout: string, kind: 'warning' | 'error') =>
  stdout.split('\n').filter((l) => l.startsWith(`::${kind}::`));

describe('input', () => {
  it('warns about each item that looks like a task but is not one, saying what it should be', async () => {
    server.setScripts({ 'BAC-1': [{ text: 'Done.' }] });
    const tasks = [
      '- BAC-1: A real task',
      '- bac-2: lower case',
      '- **BAC-5**: bold',
      '- [BAC-6](https://linear.app/x/issue/BAC-6): a link',
      '- `BAC-9`: code',
    ].join('\n');
    const run = await runInProcess({ workspace: repo(), inputs: inputs(tasks) });
    expect(run.code).toBe(0);
    expect(run.outputs.succeeded).toBe('1');
    const warned = lines(run.stdout, 'warning').join('\n');
    for (const text of ['bac-2', '**BAC-5**', '[BAC-6]', '`BAC-9`']) expect(warned).toContain(text);
    expect(lines(run.stdout, 'warning')).toHaveLength(4);
    expect(server.requests.map((r) => r.task)).toEqual(['BAC-1']);
  });

  it('refuses a title with a control character before any agent runs', async () => {
    const run = await runInProcess({ workspace: repo(), inputs: inputs('- BAC-1: Fix\u0000 it') });
    expect(run.code).toBe(1);
    expect(lines(run.stdout, 'error')).toHaveLength(1);
    expect(lines(run.stdout, 'error')[0]).toMatch(/control character/);
    expect(server.requests).toHaveLength(0);
  });

  it('asks for actions/checkout when the workspace is not a git repository', async () => {
    const run = await runInProcess({
      workspace: tempDir('pa-not-a-repo-'),
      inputs: inputs('- BAC-1: Fix it'),
    });
    expect(run.code).toBe(1);
    const errors = lines(run.stdout, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('actions/checkout');
    expect(run.stdout).not.toContain('worktree prune failed');
    expect(server.requests).toHaveLength(0);
  });
});

describe('output', () => {
  it('redacts a secret an agent repeats, in the results output, the summary and the result files', async () => {
    server.setScripts({ 'BAC-1': [{ text: `The token is ${GITHUB_TOKEN} and the key ${API_KEY}.` }] });
    const workspace = repo();
    const run = await runInProcess({
      workspace,
      inputs: inputs('- BAC-1: Leak', { 'github-token': GITHUB_TOKEN }),
    });
    expect(run.code).toBe(0);
    expect(run.outputs.results).toContain('The token is *** and the key ***.');
    for (const secret of [GITHUB_TOKEN, API_KEY]) {
      expect(JSON.stringify(run.outputs)).not.toContain(secret);
      expect(run.summary).not.toContain(secret);
      expect(
        fs.readFileSync(path.join(workspace, 'parallel-agents-results/run-local-1/BAC-1.json'), 'utf8'),
      ).not.toContain(secret);
    }
  });

  it('bounds each report in the results output', async () => {
    server.setScripts({ 'BAC-1': [{ text: 'x'.repeat(200_000) }] });
    const run = await runInProcess({ workspace: repo(), inputs: inputs('- BAC-1: Talk a lot') });
    expect(run.code).toBe(0);
    expect(run.outputs.results!.length).toBeLessThan(10_000);
    expect(run.outputs.results).toContain('characters cut; the full text is in the result file');
  });

  it('still writes the outputs and the summary when the result files cannot be written', async () => {
    server.setScripts({ 'BAC-1': [{ text: 'Done.' }] });
    const workspace = repo();
    // The results folder is there, but a file stands where this step's own folder in it should be: every write
    // under it fails once the agents are done. (A results-dir that is itself a file is refused before they start.)
    fs.mkdirSync(path.join(workspace, 'results'));
    fs.writeFileSync(path.join(workspace, 'results', 'run-local-1'), 'not a folder\n');
    const run = await runInProcess({
      workspace,
      inputs: inputs('- BAC-1: Fix it', { 'results-dir': 'results' }),
    });
    expect(run.outputs.succeeded).toBe('1');
    expect(run.summary).toContain('parallel-agents: 1/1 task succeeded');
    expect(run.summary).not.toContain('agents at work\n\n');
    expect(lines(run.stdout, 'warning').join('\n')).toMatch(/could not be written/);
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });
});
