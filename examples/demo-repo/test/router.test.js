import { test } from 'node:test';
import assert from 'node:assert/strict';

import { route, RoutingError } from '../src/router.js';

test('routes gpt-* models to openai', () => {
  assert.equal(route({ model: 'gpt-4o-mini' }), 'openai');
});

test('routes claude-* models to anthropic', { todo: 'claude-* requests end up at the OpenAI adapter' }, () => {
  assert.equal(route({ model: 'claude-sonnet-4-5' }), 'anthropic');
});

test('rejects a request without a model', () => {
  assert.throws(() => route({ messages: [] }), RoutingError);
});
