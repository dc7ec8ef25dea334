import fs from 'node:fs';
import path from 'node:path';
import { createModelClient } from '../../src/model/client.js';
import { systemPrompt } from '../../src/model/prompt.js';
import { runTasks } from '../../src/agents/scheduler.js';
import { Workspace } from '../../src/git/workspace.js';
import { EventStream, type RunEvent } from '../../src/events.js';
import { makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { taskOf } from '../../support/run-agents.js';

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer();
});
afterAll(() => server.close());

/** Three agents; the first one's first reply, the one the others wait for to warm the prompt cache, is slow. */
let runs = 0;

async function run(firstReplyMs: number, warmUpMs: number, streamMs = 0, signal?: AbortSignal) {
  server.requests.length = 0;
  // A prompt of its own, so no earlier run has cached it.
  const context = `Run ${(runs += 1)}.`;
  server.setScripts({
    'WU-1': [{ text: 'Slow but done.', latencyMs: firstReplyMs, streamMs }],
    'WU-2': [{ text: 'Done.' }],
    'WU-3': [{ text: 'Done.' }],
  });
  const events = new EventStream();
  const seen: RunEvent[] = [];
  events.on((e) => seen.push(e));
  const root = path.join(tempDir(), 'wt');
  const started = Date.now();
  await runTasks(
    { context, tasks: ['WU-1', 'WU-2', 'WU-3'].map((id) => taskOf(id)), source: 'a loopback run' },
    {
      client: createModelClient({ apiKey: 'loopback-key', baseUrl: server.url, maxInFlight: 3 }),
      system: systemPrompt(context, ''),
      model: 'claude-sonnet-4-6',
      maxTurns: 5,
      timeoutMs: 30_000,
      tools: ['read'],
      workspace: new Workspace({ repo: makeRepo({ 'README.md': '# x\n' }), root }),
      events,
      maxConcurrency: 3,
      warmUpMs,
      ...(signal ? { signal } : {}),
    },
  );
  const ended = seen.flatMap((e) => (e.type === 'ended' ? [e.result] : []));
  const results = ['WU-1', 'WU-2', 'WU-3'].map((id) => ended.find((r) => r.id === id)!);
  const firstRequest = (id: string) =>
    Math.min(...server.requests.filter((r) => r.task === id).map((r) => r.startedAt)) - started;
  return { results, seen, firstRequest, started, root };
}

describe('the prompt-cache warm-up', () => {
  it("starts a waiting agent's time, and its started event, when it may go", async () => {
    const { results, seen, firstRequest, started } = await run(400, 30_000);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    for (const waited of results.slice(1)) {
      expect(waited.startedAt - started).toBeGreaterThanOrEqual(firstRequest('WU-1') + 350);
      expect(firstRequest(waited.id)).toBeLessThan(waited.startedAt - started + 300);
    }
    const starts = seen.filter((e) => e.type === 'started').map((e) => e.task);
    expect(starts).toEqual(['WU-1', 'WU-2', 'WU-3']);
  });

  it('ends the waiting agents not started when the run stops first, and takes their worktrees away', async () => {
    const stop = new AbortController();
    // Stopped once the first agent's request is out, while the others still wait for its reply.
    const asked = setInterval(() => {
      if (!server.requests.some((r) => r.task === 'WU-1')) return;
      clearInterval(asked);
      stop.abort('cancelled');
    }, 10);
    const { results, seen, root } = await run(5_000, 30_000, 0, stop.signal);
    clearInterval(asked);
    expect(results.map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    for (const waited of results.slice(1)) {
      expect(waited).toMatchObject({ startedAt: 0, error: 'the run was cancelled before it started' });
      expect(fs.existsSync(path.join(root, waited.id.toLowerCase()))).toBe(false);
    }
    expect(server.requests.map((r) => r.task)).toEqual(['WU-1']);
    expect(seen.filter((e) => e.type === 'started').map((e) => e.task)).toEqual(['WU-1']);
  });

  it('lets the waiting agents go one turn of the event loop apart, not all in one', async () => {
    // Each turn the scheduler waits for: when it was asked for, and when it came.
    const order: string[] = [];
    const real = global.setImmediate;
    let n = 0;
    global.setImmediate = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
      // Only the scheduler's own: the frame that called, not the async frames that led there (git's own turns).
      const caller = (new Error().stack ?? '').split('\n')[2] ?? '';
      if (!/scheduler\.ts/.test(caller)) return real(callback, ...args);
      const i = (n += 1);
      order.push(`asked ${i}`);
      return real(() => {
        order.push(`came ${i}`);
        callback(...args);
      });
    }) as typeof setImmediate;
    try {
      const { results } = await run(200, 5_000);
      expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    } finally {
      global.setImmediate = real;
    }
    // The second waiting agent's turn is asked for only once the first one's has come.
    expect(order).toEqual(['asked 1', 'came 1', 'asked 2', 'came 2']);
  });

  it('holds the other agents until the first reply when it comes in time', async () => {
    const { results, seen, firstRequest } = await run(300, 5_000);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(firstRequest('WU-2')).toBeGreaterThanOrEqual(firstRequest('WU-1') + 250);
    expect(seen.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('lets the others go once the first reply starts to stream, reading the cache it wrote', async () => {
    const { results, seen, firstRequest } = await run(200, 5_000, 1_500);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // After the first reply's first token, well before its 1.5 s of streaming end.
    expect(firstRequest('WU-2')).toBeGreaterThanOrEqual(firstRequest('WU-1') + 150);
    expect(firstRequest('WU-2')).toBeLessThan(firstRequest('WU-1') + 1_200);
    const firstOf = (id: string) => server.requests.find((r) => r.task === id)!;
    expect(firstOf('WU-1').usage?.cache_creation_input_tokens).toBeGreaterThan(0);
    for (const id of ['WU-2', 'WU-3']) {
      expect(firstOf(id).usage?.cache_read_input_tokens).toBe(
        firstOf('WU-1').usage?.cache_creation_input_tokens,
      );
      expect(firstOf(id).usage?.cache_creation_input_tokens).toBe(0);
    }
    expect(seen.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('lets the others go after its cap when the first reply hangs, and says why', async () => {
    const { results, seen, firstRequest } = await run(1_800, 400);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // They started at the cap, not when the slow reply finally came.
    expect(firstRequest('WU-2')).toBeLessThan(firstRequest('WU-1') + 1_400);
    expect(firstRequest('WU-3')).toBeLessThan(firstRequest('WU-1') + 1_400);
    const warnings = seen.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings).toEqual([
      "The first agent's first request (it warms the prompt cache) got no reply in 0.4 s; the other agents start without waiting for it",
    ]);
  });
});
