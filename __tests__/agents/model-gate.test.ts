import { ModelGate } from '../../src/agents/model-gate.js';
import type { Task } from '../../src/tasks/task.js';
import { startMessagesServer } from '../../support/messages-server.js';
import { runAgentsAgainst, taskOf } from '../../support/run-agents.js';
import type { Scripts } from '../../support/script.js';

describe('ModelGate', () => {
  it('halves the limit on pushback and holds new requests for the wait asked', async () => {
    const gate = new ModelGate(8);
    gate.throttled(150);
    expect(gate.limit).toBe(4);
    const started = Date.now();
    const release = await gate.acquire();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    release();
  });

  it('lets a waiting request go as soon as its signal aborts', async () => {
    const gate = new ModelGate(4);
    gate.throttled(30_000);
    const started = Date.now();
    await expect(gate.acquire(AbortSignal.timeout(100))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
    const full = new ModelGate(1);
    const held = await full.acquire();
    const waiting = new AbortController();
    const queued = full.acquire(waiting.signal);
    waiting.abort(new Error('stopped'));
    await expect(queued).rejects.toThrow('stopped');
    held();
    // The aborted waiter left no trace: the slot goes straight to the next caller.
    const next = await full.acquire();
    next();
  });

  it('lets one more through after as many successes as the limit, up to the ceiling', () => {
    const gate = new ModelGate(4);
    gate.throttled(0);
    gate.throttled(0);
    expect(gate.limit).toBe(1);
    gate.succeeded();
    expect(gate.limit).toBe(2);
    gate.succeeded();
    gate.succeeded();
    expect(gate.limit).toBe(3);
    for (let i = 0; i < 20; i++) gate.succeeded();
    expect(gate.limit).toBe(4);
  });

  it('never has more requests in flight than the limit', async () => {
    const gate = new ModelGate(2);
    let inFlight = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const release = await gate.acquire();
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
        release();
      }),
    );
    expect(most).toBe(2);
  });
});

describe('under a server-enforced rate limit', () => {
  it('finishes a 10-agent run with no failed agent', async () => {
    const scripts: Scripts = {};
    const tasks: Task[] = [];
    for (let i = 1; i <= 10; i++) {
      const id = `RL-${i}`;
      tasks.push(taskOf(id));
      scripts[id] = [
        { tools: [{ name: 'read', input: { file_path: 'README.md' } }] },
        { tools: [{ name: 'read', input: { file_path: 'README.md' } }] },
        { text: `Done ${id}.` },
      ];
    }
    const server = await startMessagesServer({ scripts, rateLimit: { requestsPerSecond: 8 } });
    try {
      let throttled = 0;
      const results = await runAgentsAgainst(server.url, tasks, {
        tools: ['read'],
        onThrottled: () => throttled++,
      });
      expect(results.map((r) => r.status)).toEqual(Array(10).fill('succeeded'));
      // The limit was really hit, and ridden out.
      expect(server.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
      expect(throttled).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});
