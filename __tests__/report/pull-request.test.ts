import type { MergeCheck } from '../../src/checks.js';
import { noUsage, type AgentResult } from '../../src/result.js';
import {
  pullRequestTitle,
  renderCombinedBody,
  renderPullRequestBody,
} from '../../src/report/pull-request.js';
import { MENTION_BREAK } from '../../src/report/sanitize.js';

const SECRET = 'ghs_pullRequestBodySecret0123456789';
const context = { issue: 7, runUrl: 'https://github.com/o/r/actions/runs/1', secrets: [SECRET] };

function result(id: string, overrides: Partial<AgentResult> = {}): AgentResult {
  return {
    id,
    title: `Task ${id}`,
    status: 'succeeded',
    model: 'm',
    startedAt: 1_000,
    endedAt: 11_000,
    seconds: 10,
    turns: 4,
    toolCalls: 3,
    usage: noUsage(),
    costUsd: 0.5,
    report: `Report of ${id}.`,
    branch: `parallel-agents/${id.toLowerCase()}`,
    commit: 'a'.repeat(40),
    pushed: true,
    filesChanged: ['a.ts'],
    insertions: 2,
    deletions: 1,
    ...overrides,
  };
}

/** GitHub counts a body in characters (code points). */
const chars = (text: string) => [...text].length;

describe('pullRequestTitle', () => {
  it('is the id and the title on one line, with mentions that notify nobody', () => {
    expect(pullRequestTitle('BAC-124', 'Fix model routing')).toBe('BAC-124: Fix model routing');
    expect(pullRequestTitle('BAC-1', 'Ping @octo-org/team\nnow\u202e')).toBe(
      `BAC-1: Ping @${MENTION_BREAK}octo-org/team now`,
    );
    expect(pullRequestTitle('BAC-1', '')).toBe('BAC-1');
    expect(pullRequestTitle('BAC-1', `leaks ${SECRET}`, [SECRET])).toBe('BAC-1: leaks ***');
  });

  it('is cut to the 256 characters GitHub keeps', () => {
    const title = pullRequestTitle('BAC-1', '🚀'.repeat(400));
    expect(chars(title)).toBe(256);
    expect(title.endsWith('…')).toBe(true);
  });
});

describe('renderPullRequestBody', () => {
  it("starts with Linear's closing word and the issue, then the agent's facts and its sanitized report", () => {
    const body = renderPullRequestBody(
      result('BAC-124', { report: 'Done @maintainer ![x](https://t.example/p.png) <script>1</script>' }),
      context,
    );
    expect(
      body.startsWith('Fixes BAC-124\nPart of #7\n\n| Status | Time | Turns | Cost | Files changed |'),
    ).toBe(true);
    expect(body).toContain('| ✅ succeeded | 10.0 s | 4 | $0.50 | 1 (+2 −1) |');
    expect(body).not.toMatch(/@maintainer/);
    // An image becomes a link: viewing the pull request fetches nothing.
    expect(body).toContain('\\![x](https://t.example/p.png)');
    expect(body).not.toContain('<script');
    expect(body).toContain('[this workflow run](https://github.com/o/r/actions/runs/1)');
  });

  it('redacts secrets from the report and the error', () => {
    const body = renderPullRequestBody(
      result('BAC-1', { status: 'failed', error: `push failed with ${SECRET}`, report: `token ${SECRET}` }),
      context,
    );
    expect(body).not.toContain(SECRET);
    expect(body).toContain('**Error:**');
    expect(body).toContain('push failed with ***');
  });

  it("stays within GitHub's 65,536-character body limit with a visible cut", () => {
    const body = renderPullRequestBody(result('BAC-1', { report: '🚀 word '.repeat(40_000) }), context);
    expect(chars(body)).toBeLessThanOrEqual(65_536);
    expect(body).toMatch(/truncated, [\d,]+ characters omitted/);
    expect(body.trimEnd().endsWith('updates this branch and this pull request._')).toBe(true);
  });

  it('says so when the agent wrote no report', () => {
    expect(renderPullRequestBody(result('BAC-1', { report: ' ' }), { secrets: [] })).toContain(
      '_The agent wrote no report._',
    );
  });
});

describe('renderCombinedBody', () => {
  const check: MergeCheck = {
    branches: [
      { task: 'BAC-1', branch: 'b1' },
      { task: 'BAC-2', branch: 'b2' },
      { task: 'BAC-3', branch: 'b3' },
    ],
    conflicts: [{ tasks: ['BAC-2', 'BAC-3'], files: ['a.ts'] }],
    order: ['BAC-2', 'BAC-1'],
    leftOut: [{ task: 'BAC-3', reason: 'conflicts with BAC-2 in a.ts' }],
    combined: { branch: 'parallel-agents/combined-7', commit: 'c'.repeat(40) },
  };

  it('lists every merged task in order with Fixes for each, and what was left out', () => {
    const body = renderCombinedBody([result('BAC-1'), result('BAC-2'), result('BAC-3')], check, context);
    expect(
      body.startsWith('Fixes BAC-2\nFixes BAC-1\nPart of #7\n\nMerges the work of 2 agents, in this order:'),
    ).toBe(true);
    expect(body).toContain('| 1 | **BAC-2** | Task BAC-2 | ✅ succeeded |');
    expect(body).toContain('| 2 | **BAC-1** | Task BAC-1 | ✅ succeeded |');
    expect(body).toContain('**Left out:**\n- **BAC-3**: conflicts with BAC-2 in a.ts');
    expect(body).not.toContain('Fixes BAC-3');
    expect(body).toContain(
      '<details><summary>BAC-2 — Task BAC-2</summary>\n\nReport of BAC-2.\n\n</details>',
    );
  });

  it('shares the body limit among the reports', () => {
    const long = (id: string) => result(id, { report: 'x '.repeat(50_000) });
    const body = renderCombinedBody([long('BAC-1'), long('BAC-2'), long('BAC-3')], check, context);
    expect(chars(body)).toBeLessThanOrEqual(65_536);
    expect(body.match(/<details>/g)).toHaveLength(2);
  });
});
