import Anthropic from '@anthropic-ai/sdk';
import { ModelGate, gatedFetch } from './model-gate.js';

export interface ClientOptions {
  apiKey: string;
  baseUrl?: string;
  /** Most model requests in flight; pushback from the endpoint lowers it for a while. */
  maxInFlight: number;
  /** Told about each 429/529 with the wait it asked for. */
  onThrottled?: (status: number, retryAfterMs: number, limit: number) => void;
}

/**
 * The one client every agent shares, with its requests spaced by an adaptive gate. The SDK honours `retry-after`
 * on its own; more retries than its default ride out a rate limit that the gate is already backing off from.
 */
export function createModelClient(options: ClientOptions): Anthropic {
  const gate = new ModelGate(options.maxInFlight);
  return new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    maxRetries: 8,
    fetch: gatedFetch(gate, (status, wait) => options.onThrottled?.(status, wait, gate.limit)),
  });
}
