import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic, { RateLimitError } from '@anthropic-ai/sdk';
import { createModelClient } from '../../src/model/client.js';
import { describeError } from '../../src/model/describe-error.js';
import { MAX_RETRY_AFTER_MS, ModelGate, gatedFetch, retryAfterMs } from '../../src/model/model-gate.js';
import { refusalIn } from '../../src/model/refusal.js';
import type { Task } from '../../src/tasks/task.js';
import { startMessagesServer } from '../../support/messages-server.js';
import { runAgentsAgainst, taskOf } from '../../support/run-agents.js';
import type { Scripts } from '../../support/script.js';

describe('ModelGate', () => {
  it('halves the limit on pushback and holds new requests for the wait asked', async () => {
    const gate = new ModelGate(8);
    const started = Date.now();
    gate.throttled(150);
    expect(gate.limit).toBe(4);
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
    // A wait for pushback rejects with the reason too, at once when the signal has already aborted.
    await expect(gate.acquire(AbortSignal.abort('gone'))).rejects.toBe('gone');
    held();
    // The aborted waiter left no trace: the slot goes straight to the next caller.
    const next = await full.acquire();
    next();
  });

  it('leaves no timer running once an aborted wait has given up', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const gate = new ModelGate(4);
    gate.throttled(30_000);
    const stop = new AbortController();
    const waiting = gate.acquire(stop.signal);
    expect(timers()).toBe(before + 1);
    stop.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    // Before, the 30 s sleep outlived the abort: the process (and Jest) waited for it.
    expect(timers()).toBe(before);
  });

  it('holds new requests no longer than the cap, however long the endpoint asks', () => {
    const gate = new ModelGate(4);
    gate.throttled(3_600_000);
    expect(MAX_RETRY_AFTER_MS).toBe(60_000);
    expect(gate.pausedForMs).toBeGreaterThan(MAX_RETRY_AFTER_MS - 1_000);
    expect(gate.pausedForMs).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
    gate.throttled(Number.NaN);
    gate.throttled(-5);
    expect(gate.pausedForMs).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
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

describe('retryAfterMs', () => {
  it('reads milliseconds, seconds or a date, and waits a second when told nothing usable', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '3600' }))).toBe(3_600_000);
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    expect(retryAfterMs(new Headers({ 'retry-after': inTwoMinutes }))).toBeGreaterThan(118_000);
    expect(retryAfterMs(new Headers({ 'retry-after': inTwoMinutes }))).toBeLessThanOrEqual(120_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBe(1_000);
    expect(retryAfterMs(new Headers())).toBe(1_000);
  });
});

/** A loopback endpoint that answers every request with `status` and `headers`, and counts the requests. */
async function pushbackServer(status: number, headers: Record<string, string>) {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests += 1;
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down.' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a retry-after longer than the cap', () => {
  it('fails the request at once with an error naming the wait, instead of holding it for an hour', async () => {
    const server = await pushbackServer(429, { 'retry-after': '3600' });
    try {
      const gate = new ModelGate(4);
      const waits: number[] = [];
      const client = new Anthropic({
        apiKey: 'loopback-key',
        baseURL: server.url,
        fetch: gatedFetch(gate, (_status, wait) => waits.push(wait)),
      });
      const started = Date.now();
      const request = client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      });
      const error: unknown = await request.catch((caught: unknown) => caught);

      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error).toBeInstanceOf(RateLimitError);
      expect(describeError(error)).toBe(
        'RateLimitError (HTTP 429): the API asked to wait 3600 s (retry-after) before another request, ' +
          'more than the 60 s this action waits, so the request was not retried; it said: Slow down.',
      );
      // Neither the gate nor the SDK asked again.
      expect(server.requests()).toBe(1);
      // The others are held for the cap only.
      expect(waits).toEqual([MAX_RETRY_AFTER_MS]);
      expect(gate.pausedForMs).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
    } finally {
      await server.close();
    }
  });

  it('ends the agent as failed with the cause, not as a timeout', async () => {
    const server = await startMessagesServer({
      scripts: { 'RA-1': [{ fault: { kind: 'http', status: 429, retryAfter: 3600 } }] },
    });
    try {
      const started = Date.now();
      const [result] = await runAgentsAgainst(server.url, [taskOf('RA-1')], { timeoutMs: 120_000 });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result?.status).toBe('failed');
      expect(result?.error).toMatch(
        /^RateLimitError \(HTTP 429\): the API asked to wait 3600 s \(retry-after-ms\)/,
      );
    } finally {
      await server.close();
    }
  });
});

// Each kind of wrong base URL, as refusal.ts words it; the built action shows one of them (fail-fast.test.ts).
describe('a base URL that is not the Messages API, through the gated client', () => {
  it.each([
    ['a web page answering 200', { website: { status: 200 } }, '/anthropic', '200 with text/html'],
    ['a web page answering 404', { website: { status: 404 } }, '/anthropic', '404 with text/html'],
    ['the API under a wrong path', {}, '/wrong', '404 not_found_error: Not found: POST /wrong/v1/messages'],
  ] as const)(
    'names %s with the base URL, and asks it once for three requests',
    async (_what, options, path, answered) => {
      const server = await startMessagesServer({ scripts: {}, ...options });
      try {
        const client = createModelClient({
          apiKey: 'loopback-key',
          baseUrl: `${server.url}${path}`,
          maxInFlight: 3,
        });
        const messages: string[] = [];
        for (let i = 0; i < 3; i++) {
          const error: unknown = await client.messages
            .create({
              model: 'claude-sonnet-4-6',
              max_tokens: 10,
              messages: [{ role: 'user', content: 'hi' }],
            })
            .catch((caught: unknown) => caught);
          messages.push(refusalIn(error)?.message ?? String(error));
        }

        expect(messages).toEqual(
          Array(3).fill(
            `${server.url}${path} is not the Anthropic Messages API (POST /v1/messages answered ${answered}): check anthropic-base-url`,
          ),
        );
        expect(server.requests).toHaveLength(1);
      } finally {
        await server.close();
      }
    },
  );
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
