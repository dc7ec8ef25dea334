import { test } from 'node:test';
import assert from 'node:assert/strict';

import * as anthropic from '../src/providers/anthropic.js';
import { config } from '../src/config.js';

test('anthropic adapter lifts system messages into the system field', () => {
  const upstream = anthropic.buildRequest(
    {
      model: 'claude-sonnet-4-5',
      maxTokens: 256,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
    },
    config.providers.anthropic,
    { ANTHROPIC_API_KEY: 'sk-ant-test' },
  );
  assert.equal(upstream.url, 'https://api.anthropic.com/v1/messages');
  assert.equal(upstream.headers['x-api-key'], 'sk-ant-test');
  assert.equal(upstream.headers['anthropic-version'], '2023-06-01');
  assert.deepEqual(upstream.body, {
    model: 'claude-sonnet-4-5',
    max_tokens: 256,
    system: 'Be brief.',
    messages: [{ role: 'user', content: 'hi' }],
  });
});

test('anthropic adapter joins text blocks and maps usage', () => {
  const reply = anthropic.parseResponse({
    content: [
      { type: 'text', text: 'Hello, ' },
      { type: 'text', text: 'world.' },
    ],
    stop_reason: 'end_turn',
    usage: { input_tokens: 12, output_tokens: 4 },
  });
  assert.deepEqual(reply, {
    text: 'Hello, world.',
    stopReason: 'end_turn',
    usage: { inputTokens: 12, outputTokens: 4 },
  });
});
