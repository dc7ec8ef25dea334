import type { AgentResult } from '../../src/result.js';
import { computeTiming, formatDuration } from '../../src/report/timing.js';

const T0 = 1_700_000_000_000;

/** An agent that ran from `from` to `to` seconds after T0. */
function ran(id: string, from: number, to: number, overrides: Partial<AgentResult> = {}): AgentResult {
  return {
    id,
    title: `Task ${id}`,
    status: 'succeeded',
    model: 'claude-sonnet-4-5',
    startedAt: T0 + from * 1000,
    endedAt: T0 + to * 1000,
    seconds: to - from,
    turns: 3,
    toolCalls: 4,
    usage: { input: 100, output: 50, cacheWrite: 0, cacheRead: 0 },
    costUsd: 0.00105,
    report: 'Done.',
    branch: `parallel-agents/${id.toLowerCase()}`,
    pushed: false,
    filesChanged: [],
    insertions: 0,
    deletions: 0,
    ...overrides,
  };
}

const overlapping = () => [ran('BAC-1', 0, 10), ran('BAC-2', 1, 11), ran('BAC-3', 2, 12)];

describe('computeTiming', () => {
  it('compares three overlapping 10 s agents with running them one after another', () => {
    const timing = computeTiming(overlapping(), { concurrency: 4 });
    expect(timing.sequentialSeconds).toBe(30);
    expect(timing.wallSeconds).toBe(12);
    expect(timing.speedup).toBeCloseTo(2.5, 10);
    expect(timing.startedAt).toBe(T0);
    expect(timing.endedAt).toBe(T0 + 12_000);
  });

  it('bounds the ideal by the longest agent when there are slots for everyone', () => {
    const timing = computeTiming(overlapping(), { concurrency: 4 });
    expect(timing.idealSeconds).toBe(10);
    expect(timing.idealBound).toBe('longest-agent');
    expect(timing.efficiency).toBeCloseTo(10 / 12, 10);
  });

  it('bounds the ideal by the work spread over the slots when slots are scarce', () => {
    const timing = computeTiming(overlapping(), { concurrency: 2 });
    expect(timing.idealSeconds).toBe(15);
    expect(timing.idealBound).toBe('concurrency');
  });

  it('takes a critical path longer than any agent as the bound', () => {
    const timing = computeTiming(overlapping(), { concurrency: 4, criticalPathSeconds: 25 });
    expect(timing.idealSeconds).toBe(25);
    expect(timing.idealBound).toBe('critical-path');
  });

  it('leaves an agent that never started out of the wall time', () => {
    const skipped = ran('BAC-4', 0, 0, { startedAt: 0, endedAt: 0, seconds: 0, status: 'cancelled' });
    const timing = computeTiming([...overlapping(), skipped], { concurrency: 4 });
    expect(timing.agents).toBe(3);
    expect(timing.wallSeconds).toBe(12);
    expect(timing.startedAt).toBe(T0);
  });

  it('reports no speedup or efficiency when no time passed', () => {
    const timing = computeTiming([], { concurrency: 4 });
    expect(timing.wallSeconds).toBe(0);
    expect(timing.speedup).toBeNull();
    expect(timing.efficiency).toBeNull();
    expect(timing.startedAt).toBeNull();
  });

  it('rounds nothing', () => {
    const timing = computeTiming([ran('BAC-1', 0, 1.234), ran('BAC-2', 0.5, 3.3335)], { concurrency: 2 });
    expect(timing.sequentialSeconds).toBeCloseTo(1.234 + 2.8335, 10);
    expect(timing.wallSeconds).toBeCloseTo(3.3335, 10);
  });

  it('refuses a concurrency below one', () => {
    expect(() => computeTiming(overlapping(), { concurrency: 0 })).toThrow(RangeError);
  });
});

describe('the bound from the model alone', () => {
  /** Three 10 s agents of which the model took 8, 9 and 6 s. */
  const modelled = () => [
    ran('BAC-1', 0, 10, { modelSeconds: 8 }),
    ran('BAC-2', 1, 11, { modelSeconds: 9 }),
    ran('BAC-3', 2, 12, { modelSeconds: 6 }),
  ];

  it('takes the longest model time when there are slots for everyone, and calls the rest overhead', () => {
    const { model } = computeTiming(modelled(), { concurrency: 4 });
    expect(model?.idealSeconds).toBe(9);
    expect(model?.bound).toBe('longest-agent');
    expect(model?.overheadSeconds).toBe(3);
    expect(model?.efficiency).toBeCloseTo(9 / 12, 10);
    expect(model?.agents).toEqual([
      { id: 'BAC-1', overheadSeconds: 2 },
      { id: 'BAC-2', overheadSeconds: 1 },
      { id: 'BAC-3', overheadSeconds: 4 },
    ]);
  });

  it('spreads the model time over the slots when slots are scarce', () => {
    const { model } = computeTiming(modelled(), { concurrency: 2 });
    expect(model?.idealSeconds).toBe(11.5);
    expect(model?.bound).toBe('concurrency');
  });

  it('follows the longest chain of dependencies in model time, not in agent time', () => {
    const { model } = computeTiming(modelled(), {
      concurrency: 4,
      // The agent-time critical path is 20 s; the model spent 8 + 6 s of it.
      criticalPathSeconds: 20,
      dependencies: [{ task: 'BAC-3', dependsOn: 'BAC-1' }],
    });
    expect(model?.idealSeconds).toBe(14);
    expect(model?.bound).toBe('critical-path');
  });

  it('is unknown when an agent that ran has no model time, and ignores agents that never started', () => {
    const old = ran('BAC-4', 0, 5);
    expect(computeTiming([...modelled(), old], { concurrency: 4 }).model).toBeNull();
    const skipped = ran('BAC-5', 0, 0, { startedAt: 0, endedAt: 0, seconds: 0, status: 'skipped' });
    expect(computeTiming([...modelled(), skipped], { concurrency: 4 }).model?.agents).toHaveLength(3);
  });
});

describe('formatDuration', () => {
  it('shows seconds with one decimal under a minute', () => {
    expect(formatDuration(42.06)).toBe('42.1 s');
    expect(formatDuration(0)).toBe('0.0 s');
  });

  it('shows minutes and padded seconds from a minute on', () => {
    expect(formatDuration(185)).toBe('3 m 05 s');
    expect(formatDuration(59.96)).toBe('1 m 00 s');
  });

  it('shows hours for long runs', () => {
    expect(formatDuration(3725)).toBe('1 h 02 m 05 s');
  });
});
