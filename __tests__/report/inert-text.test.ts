import type { MergeCheck } from '../../src/checks.js';
import { linearComment } from '../../src/deliver/linear-writeback.js';
import { PRICES } from '../../src/model/pricing.js';
import { noUsage, type AgentResult } from '../../src/result.js';
import { renderComment } from '../../src/report/comment.js';
import {
  pullRequestTitle,
  renderCombinedBody,
  renderPullRequestBody,
} from '../../src/report/pull-request.js';
import { renderSummary } from '../../src/report/summary.js';
import { stateOfRecords } from '../../src/run-state.js';

/** An agent's report that tries every way to close issues on merge and to notify people. */
const HOSTILE = [
  'Fixes #1',
  'closes #2',
  'Resolves owner/repo#3',
  'fixed: #4',
  'Closed https://github.com/octo-org/gateway/issues/5',
  'RESOLVED #6',
  '**Fixes** #7 and _closes_ #8',
  'Fixes [#9](https://github.com/octo-org/gateway/issues/9)',
  'Fixes ENG-10, part of ENG-11',
  'This fixes',
  '#12',
  'Thanks @octocat, _@hubot_, \\@monalisa, **@mona**, @octo-org/reviewers, [@lisa](https://x.example), (@bob)',
  'and `x`@carol, [y](https://x.example)@dave, &#64;erin, &commat;frank.',
].join('\n');

/** A closing or linking word that GitHub or Linear would act on, with what follows it. */
const CLOSES =
  /(?<![A-Za-z0-9])(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?|part of)[\s:*_]*(?:#\d|[\w.-]+\/[\w.-]+#\d|https?:|\[#|ENG-\d)/gi;
/** A name GitHub would notify: an `@` before a letter or digit, or a character reference that spells one. */
const MENTIONS = /@[A-Za-z0-9]|&#0*64;|&#x0*40;|&commat;/gi;

function result(id: string, overrides: Partial<AgentResult> = {}): AgentResult {
  return {
    id,
    title: 'Fixes #99 for @octocat',
    status: 'succeeded',
    model: 'claude-sonnet-4-5',
    startedAt: 1_700_000_000_000,
    endedAt: 1_700_000_010_000,
    seconds: 10,
    turns: 3,
    toolCalls: 2,
    usage: noUsage(),
    costUsd: 0.1,
    report: HOSTILE,
    branch: `parallel-agents/${id.toLowerCase()}`,
    commit: 'a'.repeat(40),
    pushed: true,
    filesChanged: ['a.ts'],
    insertions: 1,
    deletions: 0,
    ...overrides,
  };
}

const context = { issue: 7, runUrl: 'https://github.com/o/r/actions/runs/1', secrets: [] };

/** What GitHub reads for closing words and mentions: the text outside fenced code (an error is shown as code). */
function expectInert(text: string): void {
  const prose = text.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '');
  expect(prose.match(CLOSES) ?? []).toEqual([]);
  expect(prose.match(MENTIONS) ?? []).toEqual([]);
}

describe('agent text closes, links and notifies nothing', () => {
  it('in a pull request body, whose own closing word and issue link still work', () => {
    const body = renderPullRequestBody(result('BAC-1'), context);
    expect(body).toMatch(/^Fixes BAC-1\nPart of #7\n/);
    expectInert(body.replace(/^Fixes BAC-1\nPart of #7\n/, ''));
    expect(body).toContain('octocat');
  });

  it('in the combined pull request body', () => {
    const check: MergeCheck = {
      branches: [{ task: 'BAC-1', branch: 'b1' }],
      conflicts: [],
      order: ['BAC-1'],
      leftOut: [],
    };
    const body = renderCombinedBody([result('BAC-1')], check, context);
    expect(body).toMatch(/^Fixes BAC-1\nPart of #7\n/);
    expectInert(body.replace(/^Fixes BAC-1\nPart of #7\n/, ''));
  });

  it('in a pull request title, which a squash merge makes a commit message', () => {
    expectInert(pullRequestTitle('BAC-1', 'Fixes #99 for @octocat; closes octo-org/gateway#98'));
  });

  it('in the job summary and the sticky comment, the title, the report and the warnings', () => {
    const state = stateOfRecords(
      {
        results: [result('BAC-1'), result('BAC-2', { status: 'failed', error: 'Fixes #5' })],
        concurrency: 2,
        source: 'input `tasks`',
        warnings: ['Fixes #3 says @octocat'],
      },
      PRICES,
    );
    const summary = renderSummary(state, { model: 'claude-sonnet-4-5' });
    expect(summary).toContain('octocat');
    expectInert(summary);
    expectInert(renderComment(state, { runUrl: context.runUrl, notes: ['closes #4 for @hubot'] }));
  });

  it('in a comment on Linear', () => {
    const comment = linearComment(
      result('BAC-1', { leftOut: 'Fixes ENG-4 and resolves #5, says @octocat' }),
      context.runUrl,
    );
    expect(comment).toContain('Left out of the combined branch');
    expectInert(comment);
  });
});
