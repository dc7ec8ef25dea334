import Anthropic from '@anthropic-ai/sdk';
import { ModelGate, gatedFetch } from './model-gate.js';
import { refusalMiddleware } from './refusal.js';

export interface ClientOptions {
  apiKey: string;
  baseUrl?: string;
  /** Most model requests in flight; pushback from the endpoint lowers it for a while. */
  maxInFlight: number;
  /** Told about each 429/529 with how long new requests are held for it (its `retry-after`, capped). */
  onThrottled?: (status: number, retryAfterMs: number, limit: number) => void;
}

/**
 * The one client every agent shares, with its requests spaced by an adaptive gate that also waits out 429 and 529
 * responses, up to a minute each; a request asked to wait longer fails with an error saying so. An answer no retry
 * fixes (a refused key, an unknown model, a server that is not the Messages API) fails as an `EndpointRefusal`, once:
 * later requests for the same cause fail with it without going out. Other errors get the SDK's own retries.
 */
export function createModelClient(options: ClientOptions): Anthropic {
  const gate = new ModelGate(options.maxInFlight);
  return new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    fetch: gatedFetch(gate, (status, wait) => options.onThrottled?.(status, wait, gate.limit)),
    middleware: [refusalMiddleware()],
    // No tracer provider can be registered in the action's process, so every span would be a no-op that still costs
    // each turn its bookkeeping.
    openTelemetry: false,
  });
}

/**
 * Loads what the first model request would otherwise load on its way out: Node compiles its `fetch` family (undici)
 * on first use, synchronously, some 30 ms on a small runner. Called while the action waits for git, that time is spent
 * where nothing waits for it.
 */
export function preloadModelClient(): void {
  new Headers();
}
