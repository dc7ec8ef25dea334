import http from 'node:http';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Anthropic, {
  AnthropicError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import {
  startMessagesServer,
  type MessagesServer,
  type RecordedRequest,
} from '../support/messages-server.js';
import type { Scripts } from '../support/script.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Two streams captured from the real API, as published in the SDK's own test fixtures.
const fixtures = path.resolve(root, '__tests__/fixtures/messages-api-sse');
const MODEL = 'claude-test-model';

const scripts: Scripts = {
  'T-1': [{ text: 'Looking at T-1 now.', tools: [{ name: 'read_file', input: { path: 'src/a.ts' } }] }],
  'T-10': [{ text: 'This is T-10.' }],
  HELLO: [{ text: 'Hello there!' }],
  WEATHER: [
    {
      text: "I'll check the current weather in Paris for you.",
      tools: [{ name: 'get_weather', input: { location: 'Paris' } }],
    },
  ],
  'RUN-1': [
    { text: 'First I echo a.', tools: [{ name: 'echo', input: { value: 'a' } }] },
    { tools: [{ name: 'echo', input: { value: 'b' } }] },
    { text: 'All done.' },
  ],
  'RUN-2': [{ text: 'One.' }, { text: 'Two.' }],
  'F-429': [{ text: 'after 429', fault: { kind: 'http', status: 429, retryAfter: 0.05, times: 1 } }],
  'F-529': [{ text: 'after 529', fault: { kind: 'http', status: 529, retryAfter: 0.01, times: 1 } }],
  'F-500': [{ text: 'never', fault: { kind: 'http', status: 500, retryAfter: 0.01 } }],
  'F-STREAM': [{ text: 'Partial reply that breaks', fault: { kind: 'stream-error' } }],
  'F-DROP': [{ text: 'dropped', fault: { kind: 'drop', times: 1 } }],
  'F-HANG': [{ text: 'never', fault: { kind: 'hang' } }],
  'F-SLOW': [{ text: 'slow', latencyMs: 150 }],
  'F-TTFT': [{ text: 'one two three four five six seven eight', latencyMs: 100, streamMs: 200 }],
};

function client(server: { url: string }, options: { maxRetries?: number; timeout?: number } = {}): Anthropic {
  return new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0, ...options });
}

function user(content: string): { role: 'user'; content: string } {
  return { role: 'user', content };
}

function recordsFor(server: MessagesServer, task: string): RecordedRequest[] {
  return server.requests.filter((record) => record.task === task);
}

/** Waits until every recorded request has ended (the server records the end on the response's `close`). */
async function settled(server: MessagesServer): Promise<void> {
  for (let i = 0; i < 100 && server.requests.some((record) => record.endedAt === 0); i++) {
    await sleep(10);
  }
}

/** Event names of an SSE body, in order. */
function eventNames(body: string): string[] {
  return [...body.matchAll(/^event: (\S+)$/gm)].map((match) => match[1]!);
}

/** The same with each run of `content_block_delta` collapsed into one, so streams split differently compare. */
function eventShape(body: string): string[] {
  return eventNames(body).filter((name, i, names) => name !== 'content_block_delta' || names[i - 1] !== name);
}

/** A message without what differs between two servers: ids and model. Token counts are compared separately. */
function comparable(message: Message): unknown {
  return {
    type: message.type,
    role: message.role,
    stop_reason: message.stop_reason,
    stop_sequence: message.stop_sequence,
    content: message.content.map((block) => (block.type === 'tool_use' ? { ...block, id: 'toolu' } : block)),
  };
}

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer({ scripts, recordBodies: true });
});
afterAll(async () => {
  await server.close();
});

describe('replies', () => {
  it('answers messages.create (JSON) with the scripted text and tool_use', async () => {
    const { data: message, response } = await client(server)
      .messages.create({ model: MODEL, max_tokens: 100, messages: [user('Please work on T-1 (not T-10).')] })
      .withResponse();
    expect(message.model).toBe(MODEL);
    expect(message.id).toMatch(/^msg_[0-9A-Za-z]{24}$/);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'text', text: 'Looking at T-1 now.' },
      {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_/),
        name: 'read_file',
        input: { path: 'src/a.ts' },
      },
    ]);
    expect(message.usage).toEqual({
      input_tokens: expect.any(Number),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: expect.any(Number),
      service_tier: 'standard',
    });
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-organization-id')).toBeTruthy();
    const record = server.requests.find((r) => r.requestId === response.headers.get('request-id'))!;
    expect(record).toMatchObject({
      task: 'T-1',
      turn: 0,
      stream: false,
      thread: 'none',
      status: 200,
      model: MODEL,
    });
    expect(record.usage).toEqual({
      input_tokens: message.usage.input_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: message.usage.output_tokens,
    });
  });

  it('streams the same reply for messages.stream().finalMessage()', async () => {
    const message = await client(server)
      .messages.stream({ model: MODEL, max_tokens: 100, messages: [user('T-1')] })
      .finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'text', text: 'Looking at T-1 now.' },
      {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_/),
        name: 'read_file',
        input: { path: 'src/a.ts' },
      },
    ]);
    expect(message.usage.output_tokens).toBeGreaterThan(1);
  });

  it('matches the earliest whole-word task id and ends the conversation after the script', async () => {
    const anthropic = client(server);
    const t10 = await anthropic.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [user('T-10 then T-1')],
    });
    expect(t10.content).toEqual([{ type: 'text', text: 'This is T-10.' }]);
    const after = await anthropic.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [user('T-10'), { role: 'assistant', content: 'This is T-10.' }, user('and now?')],
    });
    expect(after.content).toEqual([{ type: 'text', text: 'Done.' }]);
    expect(after.stop_reason).toBe('end_turn');
    const none = await anthropic.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [user('T-100 XT-1')],
    });
    expect(none.content).toEqual([{ type: 'text', text: 'No script for this conversation.' }]);
  });

  it('answers 401 without an API key and 404 off the messages route', async () => {
    const missingKey = await fetch(`${server.url}/v1/messages`, { method: 'POST', body: '{}' });
    expect(missingKey.status).toBe(401);
    expect(await missingKey.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: expect.any(String) },
      request_id: missingKey.headers.get('request-id'),
    });
    const elsewhere = await fetch(`${server.url}/v1/models`, { headers: { 'x-api-key': 'k' } });
    expect(elsewhere.status).toBe(404);
    expect(((await elsewhere.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
  });
});

describe('wire format against captured API streams', () => {
  let capture = '';
  let raw: http.Server;
  let rawUrl = '';
  beforeAll(async () => {
    raw = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(capture);
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    rawUrl = `http://127.0.0.1:${(raw.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    raw.closeAllConnections();
    await new Promise((resolve) => raw.close(resolve));
  });

  async function ours(task: string): Promise<{ message: Message; body: string }> {
    const message = await client(server)
      .messages.stream({ model: MODEL, max_tokens: 100, messages: [user(task)] })
      .finalMessage();
    const response = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, max_tokens: 100, stream: true, messages: [user(task)] }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    return { message, body: await response.text() };
  }

  it.each([
    ['basic_response.sse', 'HELLO'],
    ['tool_use_response.sse', 'WEATHER'],
  ])('%s: the SDK builds the same message from our stream', async (file, task) => {
    capture = readFileSync(path.join(fixtures, file), 'utf8');
    const captured = await client({ url: rawUrl })
      .messages.stream({ model: MODEL, max_tokens: 100, messages: [user('hi')] })
      .finalMessage();
    const { message, body } = await ours(task);

    expect(comparable(message)).toEqual(comparable(captured));
    // Every usage key of the capture is there (the older capture has fewer), and the newer one's exactly.
    expect(Object.keys(message.usage)).toEqual(expect.arrayContaining(Object.keys(captured.usage)));
    if (file === 'tool_use_response.sse')
      expect(Object.keys(message.usage).sort()).toEqual(Object.keys(captured.usage).sort());

    expect(eventShape(body)).toEqual(eventShape(capture));
    expect(eventNames(body).slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(body).toContain('event: ping\ndata: {"type": "ping"}\n\n');
    expect(body.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
    const data = [...body.matchAll(/^data: (.*)$/gm)].map(
      (match) => JSON.parse(match[1]!) as Record<string, unknown>,
    );
    expect(data[0]).toMatchObject({
      type: 'message_start',
      message: { content: [], stop_reason: null, usage: { output_tokens: 1 } },
    });
    const delta = data.find((event) => event['type'] === 'message_delta');
    expect(delta).toEqual({
      type: 'message_delta',
      delta: { stop_reason: captured.stop_reason, stop_sequence: null },
      usage: { output_tokens: message.usage.output_tokens },
    });
    if (task === 'WEATHER') {
      const toolStart = data.find((event) => event['type'] === 'content_block_start' && event['index'] === 1);
      expect(toolStart).toMatchObject({
        content_block: { type: 'tool_use', name: 'get_weather', input: {} },
      });
      const jsonDeltas = data.filter(
        (event) => (event['delta'] as { type?: string } | undefined)?.type === 'input_json_delta',
      );
      expect(jsonDeltas.length).toBeGreaterThan(2);
      expect(jsonDeltas[0]).toMatchObject({ delta: { partial_json: '' } });
    }
  });
});

describe('tool runner over threads', () => {
  function echoRunner(anthropic: Anthropic, calls: string[]) {
    const echo = betaTool({
      name: 'echo',
      description: 'Echo a value',
      inputSchema: { type: 'object', properties: { value: { type: 'string' } }, required: ['value'] },
      run: ({ value }) => {
        calls.push(value);
        return `echo: ${value}`;
      },
    });
    return anthropic.beta.messages.toolRunner({
      model: MODEL,
      max_tokens: 100,
      system: 'You are a test agent.',
      messages: [user('Task RUN-1: echo things')],
      tools: [echo],
      stream: true,
    });
  }

  it('creates a thread, then continues it with only the new messages', async () => {
    const calls: string[] = [];
    const final = await echoRunner(client(server), calls).runUntilDone();
    expect(calls).toEqual(['a', 'b']);
    expect(final.content).toEqual([{ type: 'text', text: 'All done.' }]);

    const records = recordsFor(server, 'RUN-1');
    expect(records.map((r) => [r.thread, r.turn, r.messages, r.conversation, r.status])).toEqual([
      ['create', 0, 1, 1, 200],
      ['continue', 1, 1, 3, 200],
      ['continue', 2, 1, 5, 200],
    ]);
    expect(records.every((r) => r.stream)).toBe(true);
    expect(records[1]!.previousMessageId).toBe(records[0]!.messageId);
    expect(records[2]!.previousMessageId).toBe(records[1]!.messageId);
    const bodies = records.map((r) => r.body as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({ thread: { type: 'create' }, system: 'You are a test agent.' });
    expect(bodies[0]!['tools']).toHaveLength(1);
    for (const body of bodies.slice(1)) {
      expect(body['system']).toBeUndefined();
      expect(body['tools']).toBeUndefined();
      expect(body['messages']).toEqual([
        {
          role: 'user',
          content: [expect.objectContaining({ type: 'tool_result', content: expect.anything() })],
        },
      ]);
    }
  });

  it('falls back to full history when the server refuses threads', async () => {
    const gateway = await startMessagesServer({ scripts, threads: false });
    try {
      const calls: string[] = [];
      const final = await echoRunner(client(gateway), calls).runUntilDone();
      expect(calls).toEqual(['a', 'b']);
      expect(final.content).toEqual([{ type: 'text', text: 'All done.' }]);
      expect(gateway.requests.map((r) => [r.thread, r.messages, r.status, r.error ?? null])).toEqual([
        ['create', 1, 400, 'invalid_request_error:thread_unsupported_request'],
        ['none', 1, 200, null],
        ['none', 3, 200, null],
        ['none', 5, 200, null],
      ]);
    } finally {
      await gateway.close();
    }
  });

  it('rejects bad continues with the error codes the SDK recovers from', async () => {
    const beta = client(server).beta.messages;
    const created = await beta.create({
      model: MODEL,
      max_tokens: 100,
      system: 'sys',
      messages: [user('RUN-2')],
      thread: { type: 'create' },
      betas: ['message-threads-2026-08-12'],
    });
    const continueFrom = (id: string, extra: Record<string, unknown> = {}) =>
      beta.create({
        model: MODEL,
        max_tokens: 100,
        messages: [user('next')],
        thread: { type: 'continue', previous_message_id: id },
        betas: ['message-threads-2026-08-12'],
        ...extra,
      });
    const second = await continueFrom(created.id);
    expect(second.content).toEqual([{ type: 'text', text: 'Two.' }]);

    const again = await continueFrom(created.id).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(APIError);
    expect((again as APIError).status).toBe(400);
    expect((again as APIError).errorCode).toBe('thread_already_continued');

    const unknown = await continueFrom('msg_unknown').catch((error: unknown) => error);
    expect((unknown as APIError).status).toBe(404);
    expect((unknown as APIError).errorCode).toBe('thread_not_found');
    expect((unknown as APIError).type).toBe('not_found_error');

    const withSystem = await continueFrom(second.id, { system: 'again' }).catch((error: unknown) => error);
    expect((withSystem as APIError).status).toBe(400);
    expect((withSystem as APIError).type).toBe('invalid_request_error');
  });

  it('lets a thread replay its history when the server lost it', async () => {
    const before = server.requests.length;
    const thread = client(server).beta.messages.thread({ model: MODEL, max_tokens: 100, system: 'sys' });
    const first = await thread.send(user('RUN-2 again'));
    expect(first.content).toEqual([{ type: 'text', text: 'One.' }]);
    server.dropThreads();
    const second = await thread.send(user('more'));
    expect(second.content).toEqual([{ type: 'text', text: 'Two.' }]);
    // The refused continue names no task: the server could not rebuild its conversation.
    const records = server.requests.slice(before);
    expect(records.map((r) => [r.task, r.thread, r.messages, r.status, r.error ?? null])).toEqual([
      ['RUN-2', 'create', 1, 200, null],
      [null, 'continue', 1, 404, 'not_found_error:thread_not_found'],
      ['RUN-2', 'create', 3, 200, null],
    ]);
  });
});

describe('faults', () => {
  it('retries a 429 after retry-after, then succeeds', async () => {
    const message = await client(server, { maxRetries: 2 }).messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [user('F-429')],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'after 429' }]);
    const [refused, served] = recordsFor(server, 'F-429');
    expect([refused?.status, served?.status]).toEqual([429, 200]);
    expect(refused?.error).toBe('rate_limit_error');
    expect(served!.startedAt - refused!.endedAt).toBeGreaterThanOrEqual(40);
  });

  it('retries a 529 overloaded', async () => {
    const message = await client(server, { maxRetries: 2 })
      .messages.stream({ model: MODEL, max_tokens: 100, messages: [user('F-529')] })
      .finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'after 529' }]);
    expect(recordsFor(server, 'F-529').map((r) => [r.status, r.error ?? null])).toEqual([
      [529, 'overloaded_error'],
      [200, null],
    ]);
  });

  it('gives up on a persistent 500 with the API error', async () => {
    const error = await client(server, { maxRetries: 2 })
      .messages.create({ model: MODEL, max_tokens: 100, messages: [user('F-500')] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(500);
    expect((error as APIError).type).toBe('api_error');
    expect((error as APIError).requestID).toMatch(/^req_/);
    expect((error as APIError).headers?.get('retry-after')).toBe('0.01');
    expect(recordsFor(server, 'F-500').map((r) => r.status)).toEqual([500, 500, 500]);
  });

  it('throws on a mid-stream error event without retrying', async () => {
    const texts: string[] = [];
    const stream = client(server, { maxRetries: 2 }).messages.stream({
      model: MODEL,
      max_tokens: 100,
      messages: [user('F-STREAM')],
    });
    stream.on('text', (text) => texts.push(text));
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBeUndefined();
    expect((error as APIError).type).toBe('overloaded_error');
    expect(texts.join('')).toBe('Partial');
    await settled(server);
    expect(recordsFor(server, 'F-STREAM').map((r) => [r.status, r.outcome])).toEqual([[200, 'stream-error']]);

    const json = await client(server)
      .messages.create({ model: MODEL, max_tokens: 100, messages: [user('F-STREAM')] })
      .catch((e: unknown) => e);
    expect((json as APIError).status).toBe(500);
  });

  it('drops the connection: a connection error, retried to success', async () => {
    const dropped = await client(server)
      .messages.create({ model: MODEL, max_tokens: 100, messages: [user('F-DROP')] })
      .catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(APIConnectionError);

    server.setScripts({ ...scripts });
    const retried = await client(server, { maxRetries: 1 }).messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [user('F-DROP')],
    });
    expect(retried.content).toEqual([{ type: 'text', text: 'dropped' }]);

    server.setScripts({ ...scripts });
    const texts: string[] = [];
    const stream = client(server, { maxRetries: 2 }).messages.stream({
      model: MODEL,
      max_tokens: 100,
      messages: [user('F-DROP')],
    });
    stream.on('text', (text) => texts.push(text));
    const streamed = await stream.finalMessage().catch((e: unknown) => e);
    // Mid-stream the SDK surfaces the broken body as a plain error and does not retry.
    expect(streamed).toBeInstanceOf(AnthropicError);
    expect(streamed).not.toBeInstanceOf(APIError);
    expect(texts).toEqual(['dropped']);
    await settled(server);
    expect(recordsFor(server, 'F-DROP').map((r) => [r.stream, r.status, r.outcome])).toEqual([
      [false, 0, 'dropped'],
      [false, 0, 'dropped'],
      [false, 200, 'completed'],
      [true, 200, 'dropped'],
    ]);
  });

  it('hangs until the client times out or aborts', async () => {
    const timedOut = await client(server, { timeout: 200 })
      .messages.create({ model: MODEL, max_tokens: 100, messages: [user('F-HANG')] })
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(APIConnectionTimeoutError);

    // Aborted once the server holds the request, so the abort is the client's and not a request never sent.
    const controller = new AbortController();
    const started = Date.now();
    const pending = client(server)
      .messages.stream(
        { model: MODEL, max_tokens: 100, messages: [user('F-HANG')] },
        { signal: controller.signal },
      )
      .finalMessage()
      .catch((e: unknown) => e);
    for (let i = 0; i < 200 && recordsFor(server, 'F-HANG').length < 2; i++) await sleep(10);
    controller.abort();
    const aborted = await pending;
    expect(aborted).toBeInstanceOf(APIUserAbortError);
    expect(Date.now() - started).toBeLessThan(2000);
    await settled(server);
    expect(recordsFor(server, 'F-HANG').map((r) => [r.status, r.outcome])).toEqual([
      [0, 'aborted'],
      [0, 'aborted'],
    ]);
  });

  it('waits the scripted latency before the headers', async () => {
    await client(server).messages.create({ model: MODEL, max_tokens: 100, messages: [user('F-SLOW')] });
    const [record] = recordsFor(server, 'F-SLOW');
    expect(record!.endedAt - record!.startedAt).toBeGreaterThanOrEqual(140);
  });

  it('starts a reply after its time to first token and streams it over its streaming time', async () => {
    const sent = performance.now();
    let started = 0;
    const stream = client(server).messages.stream({
      model: MODEL,
      max_tokens: 100,
      messages: [user('F-TTFT')],
    });
    stream.once('streamEvent', () => (started = performance.now()));
    const message = await stream.finalMessage();
    const ended = performance.now();
    expect(message.content).toEqual([{ type: 'text', text: 'one two three four five six seven eight' }]);
    // Lower bounds only: a slow machine may take longer, never shorter.
    expect(started - sent).toBeGreaterThanOrEqual(95);
    expect(ended - started).toBeGreaterThanOrEqual(190);
    const json = await client(server).messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [user('F-TTFT')],
    });
    expect(json.content).toEqual(message.content);
    const [, record] = recordsFor(server, 'F-TTFT');
    expect(record!.endedAt - record!.startedAt).toBeGreaterThanOrEqual(290);
  });

  it('closes promptly with a request still hanging', async () => {
    const own = await startMessagesServer({ scripts });
    const pending = client(own)
      .messages.create({ model: MODEL, max_tokens: 100, messages: [user('F-HANG')] })
      .catch((e: unknown) => e);
    while (own.requests.length === 0) await sleep(5);
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(APIConnectionError);
  });
});

describe('rate limit', () => {
  it('answers a burst beyond the limit with 429s and retry headers, which the SDK rides out', async () => {
    const limited = await startMessagesServer({ scripts, rateLimit: { requestsPerSecond: 3 } });
    try {
      const burst = await Promise.all(
        Array.from({ length: 6 }, () =>
          fetch(`${limited.url}/v1/messages`, {
            method: 'POST',
            headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
            body: JSON.stringify({ model: MODEL, max_tokens: 10, messages: [user('HELLO')] }),
          }),
        ),
      );
      const statuses = burst.map((response) => response.status).sort();
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
      for (const response of burst.filter((r) => r.status === 429)) {
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        const ms = Number(response.headers.get('retry-after-ms'));
        expect(ms).toBeGreaterThan(0);
        expect(ms).toBeLessThanOrEqual(1000);
        expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('3');
        expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
        expect(Date.parse(response.headers.get('anthropic-ratelimit-requests-reset')!)).toBeGreaterThan(0);
        expect(((await response.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
      }
      await Promise.all(burst.filter((r) => r.status === 200).map((r) => r.text()));

      const anthropic = client(limited, { maxRetries: 3 });
      const replies = await Promise.all(
        Array.from({ length: 3 }, () =>
          anthropic.messages.create({ model: MODEL, max_tokens: 10, messages: [user('HELLO')] }),
        ),
      );
      expect(replies.map((reply) => reply.content)).toEqual(
        Array(3).fill([{ type: 'text', text: 'Hello there!' }]),
      );
    } finally {
      await limited.close();
    }
  });
});

describe('prompt cache accounting', () => {
  const system = [
    {
      type: 'text' as const,
      text: 'You are a careful agent. '.repeat(80),
      cache_control: { type: 'ephemeral' as const },
    },
  ];

  it('writes the cached prefix once and reads it after', async () => {
    const anthropic = client(server);
    const ask = (text: string) =>
      anthropic.messages.create({ model: MODEL, max_tokens: 10, system, messages: [user(text)] });
    const first = await ask('CACHE-A one');
    const second = await ask('CACHE-A two');
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(400);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.input_tokens).toBe(first.usage.input_tokens);
    expect(first.usage.input_tokens).toBeGreaterThan(0);

    const otherModel = await anthropic.messages.create({
      model: 'other',
      max_tokens: 10,
      system,
      messages: [user('x')],
    });
    expect(otherModel.usage.cache_read_input_tokens).toBe(0);
  });

  it('accounts a thread continue over the full prompt the server holds', async () => {
    const thread = client(server).beta.messages.thread({
      model: MODEL,
      max_tokens: 10,
      system: [
        { type: 'text', text: 'Thread system prompt. '.repeat(60), cache_control: { type: 'ephemeral' } },
      ],
      cache_control: { type: 'ephemeral' },
    });
    await thread.send(user('RUN-2 cached'));
    await thread.send(user('next'));
    const [create, cont] = server.requests.filter((r) => r.task === 'RUN-2').slice(-2);
    expect(cont!.thread).toBe('continue');
    // The second turn reads everything the first one wrote (system + first message) through the lookback.
    expect(cont!.usage!.cache_read_input_tokens).toBe(
      create!.usage!.cache_creation_input_tokens + create!.usage!.cache_read_input_tokens,
    );
    expect(cont!.usage!.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(cont!.usage!.input_tokens).toBe(0);
  });
});

describe('command line', () => {
  it('prints its URL and answers', async () => {
    const child = spawn(
      path.join(root, 'node_modules/.bin/tsx'),
      ['support/messages-server.ts', '--port', '0'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lines = createInterface({ input: child.stdout });
      const url = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', () => reject(new Error('exited before printing its URL')));
      });
      lines.close();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const reply = await client({ url }).messages.create({
        model: MODEL,
        max_tokens: 10,
        messages: [user('hi')],
      });
      expect(reply.content).toEqual([{ type: 'text', text: 'No script for this conversation.' }]);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
