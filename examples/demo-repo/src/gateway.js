import { config as defaultConfig } from './config.js';
import { route, RoutingError } from './router.js';
import * as anthropic from './providers/anthropic.js';
import * as openai from './providers/openai.js';

export { RoutingError };

const adapters = { anthropic, openai };

export class GatewayError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'GatewayError';
    this.status = status;
  }
}

function validate(request) {
  if (!request || typeof request !== 'object') {
    throw new GatewayError('request must be an object', 400);
  }
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    throw new GatewayError('request.messages must be a non-empty array', 400);
  }
}

/**
 * Route a request and shape it for its provider, without sending it.
 * Returns `{ provider, upstream: { url, method, headers, body } }`.
 */
export function prepare(request, { config = defaultConfig, env = process.env } = {}) {
  validate(request);
  const provider = route(request, config);
  const adapter = adapters[provider];
  if (!adapter) {
    throw new GatewayError(`provider "${provider}" has no adapter`, 500);
  }
  const normalised = { maxTokens: config.defaults.maxTokens, ...request };
  return { provider, upstream: adapter.buildRequest(normalised, config.providers[provider], env) };
}

/**
 * Handle one chat request end to end: route, shape, send, and read the reply.
 * `send` defaults to `fetch`; tests pass their own.
 */
export async function handle(request, { send = sendJson, ...options } = {}) {
  const { provider, upstream } = prepare(request, options);
  const json = await send(upstream);
  return { provider, model: request.model, ...adapters[provider].parseResponse(json) };
}

async function sendJson({ url, method, headers, body }) {
  const res = await fetch(url, { method, headers, body: JSON.stringify(body) });
  if (!res.ok) {
    throw new GatewayError(`upstream answered ${res.status}: ${await res.text()}`, res.status);
  }
  return res.json();
}
