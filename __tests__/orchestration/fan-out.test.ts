import fs from 'node:fs';
import path from 'node:path';
import { makeRepo, tempDir } from '../../support/git-repo.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { runInProcess } from '../../support/run-in-process.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-fanOutInProcessKey0123456789';
const TOKEN = 'ghs_fanOutInProcessToken0123456789';
const ISSUE = 7;
const MARKER = '<!-- parallel-agents -->';
const IDS = ['FAN-1', 'FAN-2', 'FAN-3', 'FAN-4'];
const TASKS = IDS.map((id) => `- ${id}: Task ${id}\n  estimate: 1h`).join('\n');
const SCRIPTS: Scripts = Object.fromEntries(
  IDS.map((id) => [
    id,
    [{ tools: [{ name: 'write', input: { file_path: `${id}.md`, content: id } }] }, { text: `Did ${id}.` }],
  ]),
);
const ENV = { GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '2', GITHUB_TOKEN: TOKEN };

let model: MessagesServer;
let github: GitHubServer;
beforeAll(async () => {
  model = await startMessagesServer({ scripts: SCRIPTS, latencyMs: 20 });
  github = await startGitHubServer({
    tokens: [TOKEN],
    issues: [{ number: ISSUE, title: 'Batch', body: 'Tasks below.', user: 'maintainer' }],
    permissions: { maintainer: 'write' },
  });
});
afterAll(async () => {
  await model.close();
  await github.close();
});

/** The inputs every job of the fan-out gives: the same tasks, the same shard count, the same issue to comment on. */
function inputs(extra: Record<string, string>): Record<string, string> {
  return {
    tasks: TASKS,
    'max-shards': '2',
    'issue-number': String(ISSUE),
    'github-token': TOKEN,
    ...extra,
  };
}

const env = () => ({ ...ENV, GITHUB_API_URL: github.url });
const ours = () => github.state.comments.filter((c) => c.body.startsWith(MARKER));

describe('a fan-out, job by job in this process', () => {
  it('plans, runs each shard, then reports the whole run in one summary, one comment and one set of outputs', async () => {
    const plan = await runInProcess({
      workspace: makeRepo({ 'README.md': '# x\n' }),
      inputs: inputs({ mode: 'plan' }),
      env: env(),
    });
    expect(plan.code).toBe(0);
    const matrix = (JSON.parse(plan.outputs.matrix!) as { include: { shard: string; tasks: string }[] })
      .include;
    expect(matrix.map((m) => m.shard)).toEqual(['1', '2']);
    expect(ours()).toHaveLength(1);
    expect(ours()[0]!.body).toContain('2 shards running');

    // Each shard on a runner of its own; the artifacts, downloaded with merge-multiple, land side by side.
    const artifacts = tempDir('pa-artifacts-');
    for (const { shard } of matrix) {
      const workspace = makeRepo({ 'README.md': '# x\n' });
      const ran = await runInProcess({
        workspace,
        inputs: inputs({
          'anthropic-api-key': API_KEY,
          'anthropic-base-url': model.url,
          shard,
          comment: 'false',
        }),
        env: env(),
      });
      expect(ran.code).toBe(0);
      fs.cpSync(path.join(workspace, 'parallel-agents-results'), artifacts, { recursive: true });
    }
    expect(fs.readdirSync(artifacts).sort()).toEqual(['run-4242-2-shard-1', 'run-4242-2-shard-2']);
    // What the report must name and not count: the first attempt's results, and a folder that is not a run.
    fs.cpSync(path.join(artifacts, 'run-4242-2-shard-1'), path.join(artifacts, 'run-4242-1-shard-1'), {
      recursive: true,
    });
    const stale = path.join(artifacts, 'run-4242-1-shard-1', 'run.json');
    fs.writeFileSync(stale, fs.readFileSync(stale, 'utf8').replace('"attempt": 2', '"attempt": 1'));
    fs.mkdirSync(path.join(artifacts, 'junk'));
    fs.writeFileSync(path.join(artifacts, 'junk', 'run.json'), '{"version": 1}');

    const report = await runInProcess({
      workspace: makeRepo({ 'README.md': '# x\n' }),
      inputs: inputs({ mode: 'report', 'results-dir': artifacts }),
      env: env(),
    });
    expect(report.code).toBe(0);
    const rows = JSON.parse(report.outputs.results!) as { id: string; status: string }[];
    expect(rows.map((r) => [r.id, r.status])).toEqual(IDS.map((id) => [id, 'succeeded']));
    expect(report.outputs.succeeded).toBe('4');
    expect(report.stdout).toContain(
      '::warning::run-4242-1-shard-1 is from run 4242 attempt 1, not this run (4242 attempt 2): left out',
    );
    expect(report.stdout).toContain('::warning::junk/run.json could not be read: not a run file');
    expect(report.summary).toContain('### Runners: 2');
    expect(report.summary).toContain('## ✅ parallel-agents: 4/4 tasks succeeded');
    // The plan job's comment, finished by the report job: still one comment, now with every row.
    expect(ours()).toHaveLength(1);
    for (const id of IDS) expect(ours()[0]!.body).toContain(id);
    expect(ours()[0]!.body).not.toContain('shards running');
  });

  it('reports every task missing, and fails, when no shard left anything', async () => {
    const report = await runInProcess({
      workspace: makeRepo({ 'README.md': '# x\n' }),
      inputs: inputs({ mode: 'report', 'results-dir': tempDir('pa-empty-'), comment: 'false' }),
      env: env(),
    });
    expect(report.code).toBe(1);
    const rows = JSON.parse(report.outputs.results!) as { id: string; status: string }[];
    expect(rows.map((r) => r.status)).toEqual(['missing', 'missing', 'missing', 'missing']);
    expect(report.stdout).toMatch(/::warning::shard 1 left no results/);
    expect(report.stdout).toMatch(/::error::4 of 4 agents did not succeed/);
  });
});
