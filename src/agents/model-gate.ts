/**
 * How many model requests are in flight at once, adapted to what the endpoint says: a 429 or 529 halves the limit
 * and holds every new request until its `retry-after` has passed; each success lets one more through, up to the
 * ceiling. The SDK still does the retrying; this only spaces the requests so retries stop failing.
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

  /** Waits for a slot; the returned function gives it back. Rejects with the signal's reason if it aborts first. */
  async acquire(signal?: AbortSignal | null): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const wait = this.#pausedUntil - Date.now();
      if (wait > 0) await abortable(sleep(wait), signal);
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

  /** The endpoint pushed back: fewer at once, and nothing new until `retryAfterMs` has passed. */
  throttled(retryAfterMs: number): void {
    this.#limit = Math.max(1, Math.floor(this.#limit / 2));
    this.#successes = 0;
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + retryAfterMs);
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const seconds = Number(headers.get('retry-after'));
  if (Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  return 1000;
}

/**
 * A `fetch` for the SDK client that passes every request through `gate`, holding its slot until the response body
 * has been read (a streamed reply is a request in flight until it ends). A 429 or 529 is retried here, after the
 * wait it asked for, up to `throttleRetries` times: pushback is expected under load and worth waiting out, unlike
 * other errors, which are left to the SDK's own few retries.
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
        const wait = retryAfterMs(response.headers);
        gate.throttled(wait);
        onThrottled(response.status, wait);
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
