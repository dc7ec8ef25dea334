import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createModelClient } from '../../src/model/client.js';
import { EndpointRefusal, refusalIn } from '../../src/model/refusal.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';

const servers: MessagesServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function server(options: Parameters<typeof startMessagesServer>[0]) {
  const started = await startMessagesServer({ scripts: { 'BAC-1': [{ text: 'Hi.' }] }, ...options });
  servers.push(started);
  return started;
}

/** What one request of `model` through the action's client ends with: its reply's text, or its error. */
async function ask(baseUrl: string, apiKey = 'sk-ant-right', model = 'claude-sonnet-4-6') {
  const client = createModelClient({ apiKey, baseUrl, maxInFlight: 2 });
  const request = () =>
    client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'BAC-1' }] });
  return { client, request };
}

async function refusalOf(request: () => Promise<unknown>): Promise<EndpointRefusal> {
  try {
    await request();
  } catch (error) {
    const refusal = refusalIn(error);
    if (refusal) return refusal;
    throw error;
  }
  throw new Error('the request did not fail');
}

describe('what no retry fixes', () => {
  it('names a refused key once, and asks the endpoint no more for it', async () => {
    const api = await server({ apiKeys: ['sk-ant-right'] });
    const { request } = await ask(api.url, 'sk-ant-wrong');
    const first = await refusalOf(request);
    expect(first.message).toMatch(/^the Anthropic API refused the key \(401 authentication_error/);
    expect(first.message).toContain(`at ${api.url.replace(/\/$/, '')}: check the anthropic-api-key secret`);
    expect(first.model).toBeUndefined();
    expect(await refusalOf(request)).toBe(first);
    expect(api.requests).toHaveLength(1);
  });

  it('names an unknown model, and refuses only that model afterwards', async () => {
    const api = await server({ models: ['claude-sonnet-4-6'] });
    const { client } = await ask(api.url);
    const unknown = () =>
      client.messages.create({
        model: 'claude-nope-1',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'BAC-1' }],
      });
    const refusal = await refusalOf(unknown);
    expect(refusal.model).toBe('claude-nope-1');
    expect(refusal.message).toMatch(/does not know the model "claude-nope-1"/);
    await expect(
      client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'BAC-1' }],
      }),
    ).resolves.toMatchObject({ type: 'message' });
    await refusalOf(unknown);
    expect(api.requests.filter((r) => r.model === 'claude-nope-1')).toHaveLength(1);
  });

  it('says a web page is not the Messages API, whether it answers 200 or 404', async () => {
    for (const status of [200, 404]) {
      const site = await server({ website: { status } });
      const refusal = await refusalOf((await ask(site.url)).request);
      expect(refusal.message).toMatch(
        /is not the Anthropic Messages API \(POST \/v1\/messages answered \d+ with text\/html\)/,
      );
    }
  });

  it('takes a JSON 404 that is not about a model as the wrong address, and lets a 500 be retried', async () => {
    let calls = 0;
    const wrong = http.createServer((req, res) => {
      calls += 1;
      if (calls === 1) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            type: 'error',
            error: { type: 'not_found_error', message: 'Not found: /v1/messages' },
          }),
        );
        return;
      }
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'boom' } }));
    });
    await new Promise<void>((resolve) => wrong.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(wrong.address() as AddressInfo).port}`;
      const refusal = await refusalOf((await ask(url)).request);
      expect(refusal.message).toContain(
        'is not the Anthropic Messages API (POST /v1/messages answered 404 not_found_error',
      );
      // A new client, a server error: not a refusal, retried by the SDK.
      const { request } = await ask(url);
      await expect(request()).rejects.toThrow();
      expect(refusalIn(await request().catch((e: unknown) => e))).toBeUndefined();
      expect(calls).toBeGreaterThan(2);
    } finally {
      await new Promise((resolve) => wrong.close(resolve));
    }
  });
});
