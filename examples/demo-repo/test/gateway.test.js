import { test } from 'node:test';
import assert from 'node:assert/strict';

import { handle, prepare, GatewayError } from '../src/gateway.js';

const env = { OPENAI_API_KEY: 'sk-test' };

test('prepare shapes an OpenAI chat completion request', () => {
  const { provider, upstream } = prepare(
    { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
    { env },
  );
  assert.equal(provider, 'openai');
  assert.equal(upstream.url, 'https://api.openai.com/v1/chat/completions');
  assert.equal(upstream.headers.authorization, 'Bearer sk-test');
  assert.deepEqual(upstream.body, {
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 1024,
  });
});

test('handle sends the upstream request and reads the reply', async () => {
  const sent = [];
  const send = async (upstream) => {
    sent.push(upstream);
    return {
      choices: [{ message: { content: 'hello' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 1 },
    };
  };
  const reply = await handle({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { send, env });
  assert.equal(sent.length, 1);
  assert.deepEqual(reply, {
    provider: 'openai',
    model: 'gpt-4o',
    text: 'hello',
    stopReason: 'stop',
    usage: { inputTokens: 3, outputTokens: 1 },
  });
});

test('rejects a request without messages', () => {
  assert.throws(() => prepare({ model: 'gpt-4o', messages: [] }), GatewayError);
});
