import type { Middleware } from '@anthropic-ai/sdk';

/**
 * What no retry fixes: the endpoint refused the key, does not know the model, or is not the Messages API at all.
 * `model` is set when only that model is refused; otherwise nothing can be asked of the endpoint.
 */
export class EndpointRefusal extends Error {
  constructor(
    message: string,
    readonly model?: string,
  ) {
    super(message);
    this.name = 'EndpointRefusal';
  }
}

/** The refusal behind `error`, which the SDK's stream wraps in errors of its own (as their `cause`). */
export function refusalIn(error: unknown): EndpointRefusal | undefined {
  for (let depth = 0; depth < 5 && error instanceof Error; depth++) {
    if (error instanceof EndpointRefusal) return error;
    error = error.cause;
  }
  return undefined;
}

/**
 * A middleware for the client that turns an answer no retry fixes into an {@link EndpointRefusal}, which the SDK
 * passes on without retrying, and remembers it: every later request it covers fails with it at once, without going
 * out, so the endpoint is asked once per cause however many agents share the client.
 */
export function refusalMiddleware(): Middleware {
  // Under '' what refuses every request; under a model's id what refuses that model.
  const refused = new Map<string, EndpointRefusal>();
  return async (request, next, ctx) => {
    const model = modelOf(ctx.options?.body);
    const known = refused.get('') ?? (model === undefined ? undefined : refused.get(model));
    if (known) throw known;
    const response = await next(request);
    const refusal = await refusalOf(response, {
      endpoint: endpointOf(request.url, ctx.options?.path),
      path: ctx.options?.path ?? new URL(request.url).pathname,
      model,
      body: () => ctx.parse(response),
    });
    if (!refusal) return response;
    refused.set(refusal.model ?? '', refusal);
    await response.body?.cancel().catch(() => undefined);
    throw refusal;
  };
}

interface Asked {
  /** The base URL, without credentials or query. */
  endpoint: string;
  path: string;
  model: string | undefined;
  /** The response's body, parsed as the SDK would (JSON, else text). */
  body: () => Promise<unknown>;
}

/** Whether `response` is an answer no retry fixes, and which. Statuses worth a retry (429, 5xx…) never are. */
async function refusalOf(response: Response, asked: Asked): Promise<EndpointRefusal | undefined> {
  const { status } = response;
  const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (response.ok) {
    // A web page, or anything else that is not a stream or JSON: some other server answered.
    if (!type || type === 'text/event-stream' || type === 'application/json') return undefined;
    return notTheApi(asked, `${status} with ${type}`);
  }
  if (status !== 401 && status !== 403 && status !== 404 && status !== 405) return undefined;
  const error = apiError(await asked.body().catch(() => undefined));
  const said = error ? `${status} ${error.type}${error.message ? `: ${firstLine(error.message)}` : ''}` : '';
  if (status === 401 || status === 403) {
    return new EndpointRefusal(
      `the Anthropic API refused the key (${said || status}) at ${asked.endpoint}: check the anthropic-api-key secret`,
    );
  }
  if (!error) return notTheApi(asked, `${status} with ${type ?? 'no content type'}`);
  // A lost thread (`thread_not_found`) carries a code, and the SDK recovers from it.
  if (error.code) return undefined;
  const { model } = asked;
  if (status === 404 && model !== undefined && names(error.message, model)) {
    return new EndpointRefusal(
      `the Anthropic API does not know the model "${model}" (${said}) at ${asked.endpoint}: check the model input, or the model field of the tasks that name it`,
      model,
    );
  }
  return notTheApi(asked, said);
}

function notTheApi(asked: Asked, answered: string): EndpointRefusal {
  return new EndpointRefusal(
    `${asked.endpoint} is not the Anthropic Messages API (POST ${asked.path} answered ${answered}): check anthropic-base-url`,
  );
}

/** The API's error body (`{"type":"error","error":{"type":…,"message":…}}`), or undefined for any other. */
function apiError(body: unknown): { type: string; message: string; code?: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { type?: unknown; error?: unknown }).error;
  if ((body as { type?: unknown }).type !== 'error' || typeof error !== 'object' || error === null)
    return undefined;
  const { type, message, details } = error as { type?: unknown; message?: unknown; details?: unknown };
  if (typeof type !== 'string') return undefined;
  const code = (details as { error_code?: unknown } | undefined)?.error_code;
  return {
    type,
    message: typeof message === 'string' ? message : '',
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** Whether the API's message is about the model: it names it, or its field (`model: claude-…`). */
function names(message: string, model: string): boolean {
  return message.includes(model) || /^model\b/i.test(message);
}

function modelOf(body: unknown): string | undefined {
  const model = (body as { model?: unknown } | undefined)?.model;
  return typeof model === 'string' ? model : undefined;
}

/** `https://gateway.example/anthropic` of `https://user:pw@gateway.example/anthropic/v1/messages?beta=true`. */
function endpointOf(url: string, path: string | undefined): string {
  const parsed = new URL(url);
  const base = path && parsed.pathname.endsWith(path) ? parsed.pathname.slice(0, -path.length) : '';
  return `${parsed.protocol}//${parsed.host}${base}`;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
