import { formatCost } from '../../src/report/summary.js';
import { formatDuration } from '../../src/report/timing.js';
import { makeRepo } from '../../support/git-repo.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { runInProcess, type InProcessRun } from '../../support/run-in-process.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-reportsAgreeKey0123456789';
const TOKEN = 'ghs_reportsAgreeToken0123456789';
const ISSUE = 7;
const MARKER = '<!-- parallel-agents -->';

/** A chain (BAC-2 builds on BAC-1) beside a task of its own: the model-only ideal is the chain, not one agent. */
const TASKS = `- BAC-1: Add a changelog
- BAC-2: Document the router
  depends on: BAC-1
- BAC-3: Note the licence
- BAC-4: Tidy the docs
`;

const write = (file: string) => ({
  tools: [{ name: 'write', input: { file_path: file, content: `${file}\n` } }],
});
const SCRIPTS: Scripts = {
  'BAC-1': [write('CHANGELOG.md'), { report: { outcome: 'done', summary: 'Added CHANGELOG.md.' } }],
  'BAC-2': [write('docs/router.md'), { report: { outcome: 'done', summary: 'Documented the router.' } }],
  'BAC-3': [write('LICENCE.md'), { report: { outcome: 'partial', summary: 'Only the heading.' } }],
  'BAC-4': [{ fault: { kind: 'http', status: 400, message: 'invalid request' } }],
};

let model: MessagesServer;
let github: GitHubServer;
beforeAll(async () => {
  // Long enough turns that the model's own time, not the action's, sets every bound.
  model = await startMessagesServer({ scripts: SCRIPTS, latencyMs: 300 });
  github = await startGitHubServer({
    tokens: [TOKEN],
    issues: [{ number: ISSUE, title: 'Batch', body: 'Tasks in the input.', user: 'maintainer' }],
    permissions: { maintainer: 'write' },
  });
});
afterAll(async () => {
  await model.close();
  await github.close();
});

/** The folded timing table of a summary or a comment, figure by figure: `Sequential` → `12.3 s`. */
function timingFigures(markdown: string): Map<string, string> {
  const start = markdown.indexOf('<details><summary>Timing</summary>');
  expect(start).toBeGreaterThanOrEqual(0);
  const rows = markdown
    .slice(start)
    .split('\n')
    .slice(4)
    .filter((line) => line.startsWith('| '));
  const end = rows.findIndex((line) => !/^\| [^|]+ \| [^|]+ \|/.test(line));
  return new Map(
    rows.slice(0, end < 0 ? undefined : end).map((line) => {
      const [label, value] = line.split(' | ').map((cell) => cell.replace(/^\| /, '').replace(/\*\*/g, ''));
      return [label!, value!];
    }),
  );
}

/** Each task's status cell in the agents' table of a summary or a comment. */
function statusCells(markdown: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith('| Task |'));
  const column = lines[start]!.split(' | ').indexOf('Status');
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('| '));
  return lines.slice(start + 2, end).map((line) => line.split(' | ')[column]!);
}

describe('one run, every reporter', () => {
  let run: InProcessRun;
  let comment: string;
  beforeAll(async () => {
    run = await runInProcess({
      workspace: makeRepo({ 'README.md': '# Gateway\n' }),
      inputs: {
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': model.url,
        tasks: TASKS,
        'max-concurrency': '2',
        'issue-number': String(ISSUE),
        'github-token': TOKEN,
        'pull-requests': 'none',
        'fail-on': 'none',
      },
      env: { GITHUB_API_URL: github.url, GITHUB_RUN_ID: '42' },
    });
    comment = github.state.comments.find((c) => c.body.startsWith(MARKER))!.body;
  }, 60_000);

  it('shows the same timing figures in the summary, the sticky comment and the outputs', () => {
    expect(run.code).toBe(0);
    const summary = timingFigures(run.summary);
    const inComment = timingFigures(comment);
    for (const label of [
      'Sequential',
      'Parallel wall',
      'Speedup',
      'Ideal',
      'Parallel efficiency',
      'Ideal, model only',
      'Overhead',
    ]) {
      expect([label, inComment.get(label)]).toEqual([label, summary.get(label)]);
    }
    expect(inComment).toEqual(summary);
    expect(summary.get('Sequential')).toBe(formatDuration(Number(run.outputs['sequential-seconds'])));
    expect(summary.get('Parallel wall')).toBe(formatDuration(Number(run.outputs['wall-seconds'])));
    expect(summary.get('Speedup')).toBe(`${run.outputs.speedup}×`);
  });

  it('heads the timing with the same line in the summary and the comment, from the figures of the outputs', () => {
    const headline = (markdown: string) => markdown.split('\n').filter((line) => line.startsWith('⏱️ '));
    const { 'wall-seconds': wall, 'sequential-seconds': sequential, speedup } = run.outputs;
    const cost = Number(run.outputs['cost-usd']);
    expect(headline(comment)).toEqual([
      `⏱️ ${formatDuration(Number(wall))} instead of ${formatDuration(Number(sequential))} one after another: ${speedup}× · ${formatCost(cost)}`,
    ]);
    expect(headline(run.summary)).toEqual(headline(comment));
  });

  it('ends both with the same What next: the unfinished tasks, run again on the same issue', () => {
    const next = (markdown: string) => {
      const start = markdown.indexOf('### What next');
      expect(start).toBeGreaterThanOrEqual(0);
      return markdown
        .slice(start)
        .split(/\n\n(?=<)/)[0]!
        .trim();
    };
    expect(next(comment)).toBe(next(run.summary));
    expect(next(comment)).toContain(
      '- **BAC-3** 🟡 partial, **BAC-4** ❌ failed: run the workflow again with `only: failed` and `issue-number: 7`',
    );
  });

  it('bounds the model-only ideal by the chain of dependent tasks, in the comment as in the summary', () => {
    const figures = timingFigures(comment);
    const chain = (JSON.parse(run.outputs.results!) as { id: string; modelSeconds: number }[])
      .filter((r) => r.id === 'BAC-1' || r.id === 'BAC-2')
      .reduce((sum, r) => sum + r.modelSeconds, 0);
    expect(figures.get('Ideal, model only')).toBe(formatDuration(chain));
  });

  it('counts the same in the headline of both and in the outputs, a partial task apart', () => {
    const headline = 'parallel-agents: 2/4 tasks succeeded · 1 partial · 1 failed';
    expect(run.summary.split('\n')[0]).toBe(`## ⚠️ ${headline}`);
    expect(comment.split('\n').find((line) => line.startsWith('### '))).toBe(`### ⚠️ ${headline}`);
    expect(statusCells(comment)).toEqual(statusCells(run.summary));
    expect(statusCells(run.summary)).toEqual(['✅ succeeded', '✅ succeeded', '🟡 partial', '❌ failed']);
    const { succeeded, partial, blocked, failed } = run.outputs;
    expect([succeeded, partial, blocked, failed]).toEqual(['2', '1', '0', '1']);
    const verdicts = (JSON.parse(run.outputs.results!) as { verdict: string }[]).map((r) => r.verdict);
    expect(verdicts).toEqual(['succeeded', 'succeeded', 'partial', 'failed']);
  });
});
