import type { AgentEvent, RunEvent } from '../../src/events.js';
import { PRICES } from '../../src/model/pricing.js';
import { initialRunState, progressOf, runReducer } from '../../src/run-state.js';
import type { AgentResult } from '../../src/result.js';
import { createEventFormatter, formatEvent, formatProgress } from '../../src/report/live-log.js';

const T0 = 1_700_000_000_000;
const task = 'BAC-124';

function result(overrides: Partial<AgentResult> = {}): AgentResult {
  return {
    id: task,
    title: 'Fix routing',
    status: 'succeeded',
    model: 'claude-sonnet-4-5',
    startedAt: T0,
    endedAt: T0 + 12_340,
    seconds: 12.34,
    turns: 5,
    toolCalls: 7,
    usage: { input: 100, output: 50, cacheWrite: 0, cacheRead: 0 },
    costUsd: 0.00105,
    report: 'Done.',
    branch: 'parallel-agents/bac-124-fix-routing',
    pushed: true,
    filesChanged: ['a.ts', 'b.ts', 'c.ts'],
    insertions: 10,
    deletions: 2,
    ...overrides,
  };
}

const call = (tool: string, input: Record<string, unknown>, id = 'toolu_1'): AgentEvent => ({
  type: 'tool-call',
  task,
  at: T0,
  tool,
  id,
  input,
});

const ended = (overrides: Partial<AgentResult> = {}): AgentEvent => ({
  type: 'ended',
  task: overrides.id ?? task,
  at: T0,
  result: result(overrides),
});

describe('formatEvent', () => {
  it('names the branch and model an agent started on', () => {
    expect(
      formatEvent({
        type: 'started',
        task,
        at: T0,
        branch: 'parallel-agents/bac-124-fix-routing',
        model: 'claude-sonnet-4-5',
      }),
    ).toBe('[BAC-124] started on parallel-agents/bac-124-fix-routing (claude-sonnet-4-5)');
  });

  it('shows a turn with its stop reason and what the model said', () => {
    const event: AgentEvent = {
      type: 'turn',
      task,
      at: T0,
      turn: 3,
      stopReason: 'tool_use',
      text: "I'll read the router",
    };
    expect(formatEvent(event)).toBe(`[BAC-124] turn 3 · tool_use · "I'll read the router"`);
  });

  it('keeps long model text to one short line', () => {
    const text = `First line\n\nsecond ${'word '.repeat(100)}`;
    const line = formatEvent({ type: 'turn', task, at: T0, turn: 1, stopReason: 'end_turn', text });
    expect(line).toMatch(/^\[BAC-124\] turn 1 · end_turn · "First line second word .*…"$/);
    expect(line!.length).toBeLessThan(140);
  });

  it('says what each tool call is aimed at', () => {
    expect(formatEvent(call('read', { file_path: 'src/router.ts' }))).toBe('[BAC-124] read src/router.ts');
    expect(formatEvent(call('write', { file_path: 'src/x.ts', content: 'x' }))).toBe(
      '[BAC-124] write src/x.ts',
    );
    expect(formatEvent(call('edit', { file_path: 'src/y.ts', old_string: 'a', new_string: 'b' }))).toBe(
      '[BAC-124] edit src/y.ts',
    );
    expect(formatEvent(call('glob', { pattern: '**/*.ts' }))).toBe('[BAC-124] glob **/*.ts');
    expect(formatEvent(call('grep', { pattern: 'TODO', path: 'src' }))).toBe('[BAC-124] grep TODO in src');
    expect(formatEvent(call('bash', { command: 'npm test' }))).toBe('[BAC-124] bash: npm test');
  });

  it('cuts long commands and keeps them on one line', () => {
    const line = formatEvent(call('bash', { command: `echo hi\n::add-mask::secret\n${'x'.repeat(300)}` }));
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^\[BAC-124\] bash: echo hi ::add-mask::secret x+…$/);
    expect(line!.length).toBeLessThan(140);
  });

  it('shows the first line of a tool error with what the call was aimed at', () => {
    const format = createEventFormatter();
    expect(format(call('read', { file_path: '../../etc/passwd' }, 'toolu_9'))).toBe(
      '[BAC-124] read ../../etc/passwd',
    );
    const failed: AgentEvent = {
      type: 'tool-result',
      task,
      at: T0,
      tool: 'read',
      id: 'toolu_9',
      isError: true,
      output: 'path escapes the workdir\n    at resolvePath',
    };
    expect(format(failed)).toBe('[BAC-124] ✗ read ../../etc/passwd: path escapes the workdir');
    expect(formatEvent(failed)).toBe('[BAC-124] ✗ read: path escapes the workdir');
  });

  it('prints the progress an agent reports with a bar, and no line for what a tool call stands in with', () => {
    const progress = (percent: number | null, doing: string, reported: boolean): RunEvent => ({
      type: 'progress',
      task,
      at: T0,
      percent,
      doing,
      reported,
    });
    expect(formatEvent(progress(80, 'Writing the fix', true))).toBe(
      '[BAC-124] ████████░░ 80% - Writing the fix',
    );
    expect(formatEvent(progress(0, 'Starting\n::add-mask::x', true))).toBe(
      '[BAC-124] ░░░░░░░░░░ 0% - Starting ::add-mask::x',
    );
    expect(formatEvent(progress(null, 'editing src/router.js', false))).toBeNull();
    // The call that reported it says nothing more.
    const call = { type: 'tool-call', task, at: T0, id: 't', input: { percent: 80, doing: 'x' } } as const;
    expect(formatEvent({ ...call, tool: 'report_progress' })).toBeNull();
  });

  it('prints a note an agent posted for the others, and a read of the notes', () => {
    const note: RunEvent = {
      type: 'note',
      task,
      at: T0,
      topic: 'router',
      text: 'Routes live in\nconfig/routes.json.',
    };
    expect(formatEvent(note)).toBe(
      '[BAC-124] note for the others · router: Routes live in config/routes.json.',
    );
    const call = { type: 'tool-call', task, at: T0, tool: 'team_notes', id: 't' } as const;
    expect(formatEvent({ ...call, input: { action: 'post', topic: 'router', text: 'x' } })).toBeNull();
    expect(formatEvent({ ...call, input: { action: 'read' } })).toBe(
      '[BAC-124] reads the notes of the others',
    );
  });

  it('logs nothing for successful tool results and usage', () => {
    expect(
      formatEvent({ type: 'tool-result', task, at: T0, tool: 'read', id: 'x', isError: false, output: 'ok' }),
    ).toBeNull();
    expect(
      formatEvent({
        type: 'usage',
        task,
        at: T0,
        usage: { input: 1, output: 1, cacheWrite: 0, cacheRead: 0 },
      }),
    ).toBeNull();
  });

  it('sums up an agent that succeeded', () => {
    expect(formatEvent(ended())).toBe(
      '[BAC-124] succeeded in 12.3 s · 5 turns · 7 tool calls · 3 files changed',
    );
  });

  it('sums up an agent that failed with the first line of its error', () => {
    const line = formatEvent(
      ended({
        status: 'failed',
        turns: 1,
        toolCalls: 1,
        filesChanged: ['a.ts'],
        error: 'Overloaded\nretry later',
      }),
    );
    expect(line).toBe('[BAC-124] failed in 12.3 s · 1 turn · 1 tool call · 1 file changed: Overloaded');
  });

  it('says when an agent ran out of time', () => {
    expect(formatEvent(ended({ status: 'timeout', seconds: 1200 }))).toMatch(
      /^\[BAC-124\] timed out after 20 m 00 s · /,
    );
  });
});

describe('progress', () => {
  const started = (id: string): AgentEvent => ({
    type: 'started',
    task: id,
    at: T0,
    branch: 'b',
    model: 'm',
  });

  const reduceAll = (events: AgentEvent[], total: number) => {
    const ids = Array.from({ length: total }, (_, i) => ({ id: `BAC-${i + 1}`, title: '', model: 'm' }));
    const start: RunEvent = { type: 'run-started', at: T0, tasks: ids, concurrency: 4, source: 'test' };
    return [start, ...events].reduce(runReducer(PRICES), initialRunState());
  };

  it('starts with every task queued', () => {
    expect(formatProgress(progressOf(reduceAll([], 5)))).toBe('0/5 running · 5 queued');
  });

  it('counts running, done, failed and queued agents from the events', () => {
    const events: AgentEvent[] = [
      started('BAC-1'),
      started('BAC-2'),
      started('BAC-3'),
      ended({ id: 'BAC-1' }),
      started('BAC-4'),
      { type: 'turn', task: 'BAC-2', at: T0, turn: 1, stopReason: 'tool_use', text: '' },
    ];
    const state = progressOf(reduceAll(events, 5));
    expect(state).toEqual({ total: 5, queued: 1, running: 3, done: 1, failed: 0 });
    expect(formatProgress(state)).toBe('3/5 running · 1 done · 1 queued');
  });

  it('counts an agent that did not succeed as failed', () => {
    const state = progressOf(reduceAll([started('BAC-1'), ended({ id: 'BAC-1', status: 'timeout' })], 2));
    expect(formatProgress(state)).toBe('0/2 running · 1 failed · 1 queued');
  });

  it('takes a task that ended before it started off the queue, not a slot', () => {
    const state = progressOf(
      reduceAll([started('BAC-1'), ended({ id: 'BAC-2', status: 'cancelled', startedAt: 0 })], 2),
    );
    expect(state).toEqual({ total: 2, queued: 0, running: 1, done: 0, failed: 1 });
  });
});
