import { setTimeout as delay } from 'node:timers/promises';

/**
 * Longest pause the gate takes for one 429/529's `retry-after`. The gate is shared, so a response asking for an hour
 * would hold every agent's next request for that hour and end them all as timeouts; past this, the request that asked
 * fails at once with a message naming the wait, and the others are held only this long.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * How many model requests are in flight at once, adapted to what the endpoint says: a 429 or 529 halves the limit
 * and holds every new request until its `retry-after` has passed (at most {@link MAX_RETRY_AFTER_MS}); each success
 * lets one more through, up to the ceiling. The SDK still does the retrying; this only spaces the requests so
 * retries stop failing.
 */
export class ModelGate {
  #limit: number;
  #inFlight = 0;
  #pausedUntil = 0;
  #successes = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly ceiling: number) {
    this.#limit = ceiling;
  }

  /** The current limit on requests in flight. */
  get limit(): number {
    return this.#limit;
  }

  /** How long from now new requests are held by pushback; 0 when they are not. */
  get pausedForMs(): number {
    return Math.max(0, this.#pausedUntil - Date.now());
  }

  /** Waits for a slot; the returned function gives it back. Rejects with the signal's reason if it aborts first. */
  async acquire(signal?: AbortSignal | null): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const wait = this.#pausedUntil - Date.now();
      // An abort ends the wait early; the check above then rejects with the signal's reason.
      if (wait > 0) await delay(wait, undefined, { signal: signal ?? undefined }).catch(() => {});
      else if (this.#inFlight < this.#limit) break;
      else {
        let wake!: () => void;
        const woken = new Promise<void>((resolve) => (wake = resolve));
        this.#waiting.push(wake);
        await abortable(woken, signal).finally(() => {
          const i = this.#waiting.indexOf(wake);
          if (i >= 0) this.#waiting.splice(i, 1);
        });
      }
    }
    this.#inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight -= 1;
      this.#waiting.shift()?.();
    };
  }

  /** The endpoint pushed back: fewer at once, and nothing new until `retryAfterMs` (capped) has passed. */
  throttled(retryAfterMs: number): void {
    this.#limit = Math.max(1, Math.floor(this.#limit / 2));
    this.#successes = 0;
    const wait = Math.min(Math.max(0, retryAfterMs), MAX_RETRY_AFTER_MS) || 0;
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + wait);
  }

  /** A request went through: after as many successes as the limit, one more may fly (additive increase). */
  succeeded(): void {
    if (this.#limit >= this.ceiling) return;
    this.#successes += 1;
    if (this.#successes >= this.#limit) {
      this.#successes = 0;
      this.#limit += 1;
      this.#waiting.shift()?.();
    }
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal | null): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** What a throttling response asks: `retry-after-ms`, else `retry-after` in seconds, else one second. */
export function retryAfterMs(headers: Headers): number {
  return requestedWait(headers).ms;
}

/** The wait a response asks for, and the header that asked (for saying so). */
function requestedWait(headers: Headers): { ms: number; header: string } {
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return { ms, header: 'retry-after-ms' };
  const value = headers.get('retry-after')?.trim() ?? '';
  const seconds = Number(value);
  if (value !== '' && Number.isFinite(seconds) && seconds > 0)
    return { ms: seconds * 1000, header: 'retry-after' };
  // The other form HTTP allows: a date.
  const until = /[a-z]/i.test(value) ? Date.parse(value) - Date.now() : Number.NaN;
  if (Number.isFinite(until) && until > 0) return { ms: until, header: 'retry-after' };
  return { ms: 1000, header: '' };
}

/**
 * A `fetch` for the SDK client that passes every request through `gate`, holding its slot until the response body
 * has been read (a streamed reply is a request in flight until it ends). A 429 or 529 is retried here, after the
 * wait it asked for, up to `throttleRetries` times: pushback is expected under load and worth waiting out, unlike
 * other errors, which are left to the SDK's own few retries. A wait longer than {@link MAX_RETRY_AFTER_MS} is not
 * waited out: that request fails at once, its error saying what was asked.
 */
export function gatedFetch(
  gate: ModelGate,
  onThrottled: (status: number, retryAfterMs: number) => void = () => {},
  throttleRetries = 8,
) {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      const release = await gate.acquire(init?.signal);
      let response: Response;
      try {
        init?.signal?.throwIfAborted();
        response = await fetch(input, init);
      } catch (error) {
        release();
        throw error;
      }
      if (response.status === 429 || response.status === 529) {
        const asked = requestedWait(response.headers);
        const wait = Math.min(asked.ms, MAX_RETRY_AFTER_MS);
        gate.throttled(wait);
        onThrottled(response.status, wait);
        if (asked.ms > MAX_RETRY_AFTER_MS) {
          release();
          return waitRefused(response, asked);
        }
        if (attempt < throttleRetries) {
          release();
          await response.body?.cancel();
          // The gate holds the next attempt until the wait is over.
          continue;
        }
      } else if (response.ok) {
        gate.succeeded();
      }
      return withRelease(response, release);
    }
  };
}

/**
 * The throttling response as the SDK should see it when its wait is too long to honour: not to be retried (the SDK
 * would otherwise wait out the same `retry-after` itself), and with an error message that names the wait asked, so
 * the agent's status says why it stopped. The SDK turns it into its usual `RateLimitError` (or 529 error).
 */
async function waitRefused(response: Response, asked: { ms: number; header: string }): Promise<Response> {
  const text = await response.text().catch(() => '');
  let apiMessage = '';
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    if (typeof body.error?.message === 'string') apiMessage = body.error.message;
  } catch {
    apiMessage = text.slice(0, 200);
  }
  const seconds = Math.round(asked.ms / 1000);
  const message =
    `the API asked to wait ${seconds} s (${asked.header}) before another request, more than the ` +
    `${MAX_RETRY_AFTER_MS / 1000} s this action waits, so the request was not retried` +
    (apiMessage ? `; it said: ${apiMessage.split('\n', 1)[0]}` : '');
  const headers = new Headers(response.headers);
  headers.delete('retry-after');
  headers.delete('retry-after-ms');
  headers.delete('content-length');
  headers.delete('content-encoding');
  headers.set('x-should-retry', 'false');
  headers.set('content-type', 'application/json');
  const type = response.status === 529 ? 'overloaded_error' : 'rate_limit_error';
  return new Response(JSON.stringify({ type: 'error', error: { type, message } }), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/** The response, with its slot given back once however its body ends: read to the end, failed, or abandoned. */
function withRelease(response: Response, release: () => void): Response {
  if (!response.body) {
    release();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
