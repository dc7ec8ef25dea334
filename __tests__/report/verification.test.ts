import { PRICES } from '../../src/model/pricing.js';
import type { AgentResult, CommandRun } from '../../src/result.js';
import type { TogetherCheck } from '../../src/checks.js';
import type { RunEvent } from '../../src/events.js';
import { runOutputs } from '../../src/outputs.js';
import { renderComment } from '../../src/report/comment.js';
import { renderSummary } from '../../src/report/summary.js';
import { togetherFailure, verifyCell } from '../../src/report/verification.js';
import { initialRunState, runReducer, stateOfRecords } from '../../src/run-state.js';

const T0 = 1_700_000_000_000;

/** The ended run of `results`, then `events` (a check of the merge, say), folded as the action folds them. */
function stateOf(results: AgentResult[], concurrency: number, events: RunEvent[] = []) {
  const ended = stateOfRecords({ results, concurrency, source: 'issue #7' }, PRICES);
  return events.reduce(runReducer(PRICES), ended);
}

function run(command: string, exitCode: number | null, outputTail = '', error?: string): CommandRun {
  return { command, exitCode, seconds: 2.5, outputTail, ...(error ? { error } : {}) };
}

function result(id: string, overrides: Partial<AgentResult> = {}): AgentResult {
  return {
    id,
    title: `Task ${id}`,
    status: 'succeeded',
    model: 'claude-sonnet-4-6',
    startedAt: T0,
    endedAt: T0 + 60_000,
    seconds: 60,
    turns: 3,
    toolCalls: 4,
    usage: { input: 100, output: 100, cacheWrite: 0, cacheRead: 0 },
    costUsd: 0.01,
    report: `Report of ${id}.`,
    branch: `parallel-agents/${id.toLowerCase()}`,
    commit: '0123456789abcdef0123456789abcdef01234567',
    pushed: false,
    filesChanged: ['src/router.js'],
    insertions: 1,
    deletions: 1,
    ...overrides,
  };
}

const VERIFIED = result('BAC-1', {
  agentReport: { outcome: 'done', summary: 'Fixed.', changes: [], risks: [], followUps: [] },
  setup: run('npm ci', 0),
  verification: {
    passed: true,
    fixUps: 1,
    runs: [run('npm test', 1, '✖ failing tests:'), run('npm test', 0)],
  },
});
const FAILED = result('BAC-2', {
  agentReport: { outcome: 'done', summary: 'Fixed, I think.', changes: [], risks: [], followUps: [] },
  status: 'failed-verification',
  error: 'verify `npm test` exited 1',
  verification: {
    passed: false,
    fixUps: 0,
    runs: [run('npm test', 1, '✖ routes gpt-* models to openai\n  Error [RoutingError]: no provider')],
  },
});
const TOGETHER: TogetherCheck = {
  merged: ['BAC-1', 'BAC-3'],
  conflicts: [{ task: 'BAC-4', files: ['src/config.js'] }],
  verify: run('npm test', 1, '✖ defaults to 1024 tokens'),
  passed: false,
};

function table(markdown: string): { header: string[]; rows: Map<string, string[]> } {
  const lines = markdown.split('\n').filter((l) => l.startsWith('| '));
  const cells = (line: string) => line.slice(2, -2).split(' | ');
  const header = cells(lines.find((l) => l.startsWith('| Task |'))!);
  const rows = new Map(
    lines.filter((l) => l.startsWith('| **')).map((l) => [cells(l)[0]!.replace(/\*/g, ''), cells(l)]),
  );
  return { header, rows };
}

describe('the Verified column', () => {
  it('reads verified, verified after fix-ups, failed verification with how, or a dash', () => {
    expect(verifyCell(VERIFIED)).toBe('✅ verified after 1 fix-up');
    expect(verifyCell(FAILED)).toBe('❌ failed verification (exit 1)');
    const timedOut = result('BAC-5', {
      verification: { passed: false, fixUps: 2, runs: [run('npm test', null, '', 'timed out after 10 min')] },
    });
    expect(verifyCell(timedOut)).toBe('❌ failed verification (timed out) after 2 fix-ups');
    expect(verifyCell(result('BAC-6', { setup: run('npm ci', 1) }))).toBe('❌ setup failed');
    expect(verifyCell(result('BAC-7'))).toBe('—');
  });

  it('is in the job summary next to the status, with setup time beside the agent time, and the failing output under the report', () => {
    const results = [VERIFIED, FAILED];
    const summary = renderSummary(stateOf(results, 2), { model: 'claude-sonnet-4-6' });
    const { header, rows } = table(summary);
    const cell = (id: string, column: string) => rows.get(id)![header.indexOf(column)];
    // The agent's own word next to the check's: it said done, the check says otherwise.
    expect(header.slice(header.indexOf('Status'), header.indexOf('Status') + 3)).toEqual([
      'Status',
      'Agent says',
      'Verified',
    ]);
    expect(cell('BAC-2', 'Agent says')).toBe('done');
    expect(cell('BAC-1', 'Status')).toBe('✅ succeeded');
    expect(cell('BAC-1', 'Verified')).toBe('✅ verified after 1 fix-up');
    expect(cell('BAC-1', 'Time')).toBe('1 m 00 s (setup 2.5 s)');
    expect(cell('BAC-2', 'Status')).toBe('❌ failed verification');
    expect(cell('BAC-2', 'Verified')).toBe('❌ failed verification (exit 1)');
    expect(summary.split('\n')[0]).toBe('## ⚠️ parallel-agents: 1/2 tasks succeeded · 1 failed verification');
    expect(summary).toContain(
      '**verify** `npm test` exit 1 after 2.5 s; the end of its output:\n\n```text\n✖ routes gpt-* models to openai',
    );
  });

  it('leaves out the agent-says column when no agent gave its outcome', () => {
    const results = [
      result('BAC-1', { verification: { passed: true, fixUps: 0, runs: [run('npm test', 0)] } }),
    ];
    const summary = renderSummary(stateOf(results, 1), { model: 'claude-sonnet-4-6' });
    expect(table(summary).header).toContain('Verified');
    expect(table(summary).header).not.toContain('Agent says');
  });

  it('is left out of a run without setup or verify', () => {
    const results = [result('BAC-1')];
    const summary = renderSummary(stateOf(results, 1), { model: 'claude-sonnet-4-6' });
    expect(table(summary).header).not.toContain('Verified');
  });
});

describe('the merged check', () => {
  it('shows in the job summary which branches fail together, with the output, and which were left out', () => {
    const results = [VERIFIED, result('BAC-3')];
    const summary = renderSummary(stateOf(results, 2, [{ type: 'together', at: T0, check: TOGETHER }]), {
      model: 'claude-sonnet-4-6',
    });
    expect(summary).toContain('### Together: `npm test` on the merge');
    expect(summary).toContain(
      '❌ `npm test` fails on the merge of **BAC-1**, **BAC-3** (exit 1 after 2.5 s), though each branch passed on its own.',
    );
    expect(summary).toContain('```text\n✖ defaults to 1024 tokens\n```');
    expect(summary).toContain('- **BAC-4**: conflicts with the merge before it in `src/config.js`');
  });

  it('shows in the sticky comment, once the run has ended, with the Verified column', () => {
    const events: RunEvent[] = [
      {
        type: 'run-started',
        at: T0,
        tasks: [VERIFIED, FAILED].map((r) => ({ id: r.id, title: r.title, model: r.model })),
        concurrency: 2,
        source: 'issue #7',
      },
      { type: 'ended', task: 'BAC-1', at: T0 + 60_000, result: VERIFIED },
      { type: 'ended', task: 'BAC-2', at: T0 + 60_000, result: FAILED },
      { type: 'together', at: T0 + 70_000, check: { ...TOGETHER, verify: run('npm test', 0), passed: true } },
    ];
    const reduce = runReducer(PRICES);
    const running = events.reduce(reduce, initialRunState());
    expect(renderComment(running)).not.toContain('### Together');
    const ended = reduce(running, { type: 'run-ended', at: T0 + 70_000 });
    const comment = renderComment(ended);
    const { header, rows } = table(comment);
    expect(rows.get('BAC-1')![header.indexOf('Verified')]).toBe('✅ verified after 1 fix-up');
    expect(rows.get('BAC-2')![header.indexOf('Status')]).toBe('❌ failed verification');
    expect(rows.get('BAC-2')![header.indexOf('Agent says')]).toBe('done');
    expect(comment).toContain('✅ `npm test` passes on the merge of **BAC-1**, **BAC-3** (2.5 s)');
  });

  it('fails the step under fail-on: any only, and only when the merge was checked and failed', () => {
    expect(togetherFailure(TOGETHER, 'any')).toBe(
      'The merge of BAC-1, BAC-3 fails its check, though each branch passed alone; fail-on: any',
    );
    expect(togetherFailure(TOGETHER, 'all')).toBeNull();
    expect(togetherFailure(TOGETHER, 'none')).toBeNull();
    expect(togetherFailure({ ...TOGETHER, passed: true }, 'any')).toBeNull();
    expect(togetherFailure({ ...TOGETHER, passed: null }, 'any')).toBeNull();
    expect(togetherFailure(null, 'any')).toBeNull();
  });
});

describe('the results output', () => {
  it('keeps each check run, with the end of its output only, redacted, and the agent says next to it', () => {
    const secret = 'sk-ant-echoed-by-a-test-0123456789';
    const long = `${'x'.repeat(5_000)}\n${secret}\n✖ the last failure`;
    const results = [
      result('BAC-1', {
        setup: run('npm ci', 0, long),
        agentReport: { outcome: 'partial', summary: 'Half.', changes: [], risks: [], followUps: [] },
        verification: { passed: true, fixUps: 1, runs: [run('npm test', 1, long), run('npm test', 0, 'ok')] },
      }),
    ];
    const outputs = runOutputs(stateOf(results, 1), [secret]);
    const [out] = JSON.parse(outputs.results!) as AgentResult[];
    expect(out!.verification!.runs.map((r) => [r.exitCode, r.outputTail.length <= 1_001])).toEqual([
      [1, true],
      [0, true],
    ]);
    expect(out!.verification!.runs[0]!.outputTail.endsWith('✖ the last failure')).toBe(true);
    expect(out!.setup!.outputTail.startsWith('…')).toBe(true);
    expect(outputs.results).not.toContain(secret);
    expect(out!.agentReport).toEqual({ outcome: 'partial', changes: [], risks: [], followUps: [] });
  });
});
