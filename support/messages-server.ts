/**
 * A loopback server that speaks the Anthropic Messages API wire format (`POST /v1/messages`, JSON and SSE), scripted
 * per task (see `./script.ts`). Tests, the demo and the benchmark point the real SDK at it.
 *
 * What it models:
 * - message threads (`thread: {type: "create"}` / `{type: "continue", previous_message_id}`) with the errors the SDK
 *   recovers from (`thread_not_found`, `thread_already_continued`, `thread_continue_in_flight`,
 *   `thread_unsupported_request` when started with `threads: false`);
 * - the SSE event order and shapes of the real API (`message_start`, `content_block_start`, one `ping`, deltas,
 *   `content_block_stop`, `message_delta`, `message_stop`);
 * - errors with the API's body shape and headers (`request-id`, `retry-after`, `retry-after-ms`,
 *   `anthropic-ratelimit-requests-*`), a requests-per-second limit, and injected faults;
 * - what no retry fixes: a key it does not take, a model it does not know, and a web page where the API should be;
 * - usage with prompt-cache accounting: a breakpoint (`cache_control` on a tool, a system block or a message block,
 *   or the top-level `cache_control`, which marks the last block) writes the prefix up to it; a later request reads
 *   the longest cached prefix that ends at one of its breakpoints or at one of the 20 block boundaries before it.
 *
 * Run standalone: `tsx support/messages-server.ts [--port N] [--scripts file.json] [--latency ms] [--stream-ms ms]
 * [--chunk-delay ms] [--no-threads] [--rate-limit N]` prints its URL on one line and serves until SIGINT/SIGTERM.
 */
import http from 'node:http';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Fault, ScriptedTurn, Scripts } from './script.js';

export interface MessagesServerOptions {
  scripts?: Scripts;
  /**
   * Default think time before each reply, in ms (a scripted turn's `latencyMs` overrides it): the time to the
   * reply's headers and `message_start`, so its time to first token. Default 0.
   */
  latencyMs?: number;
  /**
   * Default time each reply takes to stream once it has started, in ms (a scripted turn's `streamMs` overrides it):
   * its SSE events after `message_start` go out evenly spread over it, each at its own deadline so that timer delays
   * do not add up. A JSON reply comes this much later instead. Adds to `chunkDelayMs`. Default 0.
   */
  streamMs?: number;
  /** Delay between SSE events, in ms. Default 0. */
  chunkDelayMs?: number;
  /** Whether the server holds message threads. `false` refuses them like a gateway would. Default true. */
  threads?: boolean;
  /** Requests admitted per sliding one-second window; beyond it the server answers 429. */
  rateLimit?: { requestsPerSecond: number };
  /** Port on 127.0.0.1. Default 0 (ephemeral). */
  port?: number;
  /** Keep each request's parsed body in its record (`RecordedRequest.body`). Default false. */
  recordBodies?: boolean;
  /**
   * Whether requests may ask for structured output (`output_config.format`). `false` refuses them with a 400, as an
   * older model or a gateway does. Default true.
   */
  structuredOutput?: boolean;
  /** Keys the server takes; any other gets the API's 401 `authentication_error`. Default: any key. */
  apiKeys?: string[];
  /** Models the server knows; any other gets the API's 404 `not_found_error` naming it. Default: any model. */
  models?: string[];
  /** Answer every request with a web page and this status, as a server that is not the API (a wrong base URL). */
  website?: { status: number };
}

interface Usage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}

type ThreadMode = 'create' | 'continue' | 'none';

/** How a request ended. */
type RequestOutcome =
  /** The whole reply was sent. */
  | 'completed'
  /** An HTTP error response (validation, auth, rate limit, thread errors, `http` faults). */
  | 'http-error'
  /** An SSE stream that ended with an `event: error`. */
  | 'stream-error'
  /** The server destroyed the connection (`drop` fault). */
  | 'dropped'
  /** The client went away (or the server closed) before the reply ended. */
  | 'aborted'
  /** Not ended yet. */
  | 'pending';

export interface RecordedRequest {
  /** `request-id` header of the response. */
  requestId: string;
  /** The matched script id, or null. */
  task: string | null;
  /** Assistant messages in the full conversation before this reply. */
  turn: number;
  stream: boolean;
  thread: ThreadMode;
  /** `thread.previous_message_id` of a continue. */
  previousMessageId?: string;
  /** `id` of the reply, once one started. */
  messageId?: string;
  /** Date.now() when the request arrived. */
  startedAt: number;
  /** Date.now() when the response ended (0 while pending). */
  endedAt: number;
  /** HTTP status sent (0 when the connection ended before any header). */
  status: number;
  /** `error.type` of an error response, `error.details.error_code` appended after a colon when present. */
  error?: string;
  /** The fault injected into this request: a scripted one or `rate-limit`. */
  fault?: Fault['kind'] | 'rate-limit';
  model: string;
  /** Messages in the request body. */
  messages: number;
  /** Messages in the full conversation (stored thread + request). */
  conversation: number;
  usage?: Usage;
  outcome: RequestOutcome;
  /** Whether the request asked for structured output (`output_config.format`). */
  structured?: boolean;
  /** The parsed request body, with `recordBodies`. */
  body?: unknown;
}

export interface MessagesServer {
  /** `http://127.0.0.1:PORT` — the SDK's `baseURL`. */
  url: string;
  port: number;
  /** Every request, in arrival order. */
  requests: RecordedRequest[];
  /** Replace the scripts (and reset the count of faults given). */
  setScripts(scripts: Scripts): void;
  /** Forget every stored thread, as a restarted server would: the next continue gets `thread_not_found`. */
  dropThreads(): void;
  /** Close the server and every connection, including hanging ones. */
  close(): Promise<void>;
}

const THREADS_BETA = 'message-threads-2026-08-12';
const CACHE_LOOKBACK_BLOCKS = 20;
const MAX_CACHE_BREAKPOINTS = 4;
const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;

type Json = unknown;
type JsonObject = Record<string, Json>;

interface MessageParam {
  role: string;
  content: Json;
}

interface Conversation {
  system: Json;
  tools: Json;
  messages: MessageParam[];
}

/** What the server holds for a threaded reply, under the reply's id. */
interface StoredReply extends Conversation {
  /** Set once a continue from this reply has completed; the conversation is dropped then. */
  continued: boolean;
  /** A continue from this reply is being answered. */
  inFlight: boolean;
}

type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly details?: JsonObject,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `prefix` + 24 random base-62 characters, like the API's ids. */
function randomId(prefix: string): string {
  const bytes = randomBytes(24);
  let id = prefix;
  for (const byte of bytes) id += BASE62[byte % 62];
  return id;
}

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The text of a message: its string content, or its `text` blocks joined with newlines. */
function messageText(message: MessageParam | undefined): string {
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  if (!Array.isArray(message.content)) return '';
  return message.content
    .filter((block): block is JsonObject => isObject(block) && block['type'] === 'text')
    .map((block) => String(block['text'] ?? ''))
    .join('\n');
}

/** Where a script id prefixed with it is looked for: the system prompt, for requests that are not an agent's. */
const SYSTEM_KEY = 'system:';

/** The system prompt as text: the string, or its `text` blocks joined with newlines. */
function systemText(system: Json): string {
  return messageText({ role: 'system', content: system });
}

/** The `system:` script id whose phrase the system prompt holds as a whole word, or else {@link matchTask}'s. */
function matchScript(conversation: Conversation, scripts: Scripts): string | null {
  const system = systemText(conversation.system);
  const keyed = Object.keys(scripts).filter((id) => id.startsWith(SYSTEM_KEY));
  for (const id of keyed) if (wordAt(system, id.slice(SYSTEM_KEY.length)) >= 0) return id;
  const others = Object.fromEntries(Object.entries(scripts).filter(([id]) => !id.startsWith(SYSTEM_KEY)));
  return matchTask(conversation.messages, others);
}

/** Where `word` first occurs in `text` as a whole word (no letter, digit or `_` on either side), or -1. */
function wordAt(text: string, word: string): number {
  if (!word) return -1;
  return new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(word)}(?![A-Za-z0-9_])`).exec(text)?.index ?? -1;
}

/**
 * The script id that occurs first, as a whole word (no letter, digit or `_` on either side), in the first user message;
 * on a tie the longer id.
 */
function matchTask(messages: readonly MessageParam[], scripts: Scripts): string | null {
  const text = messageText(messages.find((message) => message.role === 'user'));
  let best: { id: string; index: number } | null = null;
  for (const id of Object.keys(scripts)) {
    const index = wordAt(text, id);
    if (index < 0) continue;
    if (!best || index < best.index || (index === best.index && id.length > best.id.length)) {
      best = { id, index };
    }
  }
  return best?.id ?? null;
}

/** A copy of a message or block without `cache_control`, here and in nested `content`. */
function withoutCacheControl<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutCacheControl) as T;
  if (!isObject(value)) return value;
  const copy: JsonObject = {};
  for (const [key, nested] of Object.entries(value)) {
    if (key === 'cache_control') continue;
    copy[key] = key === 'content' ? withoutCacheControl(nested) : nested;
  }
  return copy as T;
}

function ttlOf(cacheControl: Json): keyof typeof TTL_MS | null {
  if (!isObject(cacheControl)) return null;
  return cacheControl['ttl'] === '1h' ? '1h' : '5m';
}

function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** One cacheable unit of the prompt, in the order the cache sees it: tools, system, messages. */
interface PromptBlock {
  key: string;
  tokens: number;
  breakpoint: keyof typeof TTL_MS | null;
}

function promptBlocks(conversation: Conversation, topLevelCacheControl: Json): PromptBlock[] {
  const blocks: PromptBlock[] = [];
  const add = (prefix: string, value: Json) => {
    const key = prefix + JSON.stringify(withoutCacheControl(value));
    blocks.push({
      key,
      tokens: estimateTokens(key.length - prefix.length),
      breakpoint: isObject(value) ? ttlOf(value['cache_control']) : null,
    });
  };
  if (Array.isArray(conversation.tools)) for (const tool of conversation.tools) add('tool:', tool);
  if (typeof conversation.system === 'string') add('system:', { type: 'text', text: conversation.system });
  else if (Array.isArray(conversation.system)) for (const block of conversation.system) add('system:', block);
  for (const message of conversation.messages) {
    if (Array.isArray(message.content)) for (const block of message.content) add(`${message.role}:`, block);
    else add(`${message.role}:`, { type: 'text', text: message.content });
  }
  const last = blocks.at(-1);
  const topLevel = ttlOf(topLevelCacheControl);
  if (last && topLevel && !last.breakpoint) last.breakpoint = topLevel;
  return blocks;
}

/** Prompt-cache entries by prefix hash. */
class PromptCache {
  readonly #entries = new Map<string, { expiresAt: number; ttlMs: number }>();

  /** Input-side usage of a request, and the cache writes and refreshes it makes. */
  account(
    model: string,
    conversation: Conversation,
    topLevelCacheControl: Json,
  ): Omit<Usage, 'output_tokens'> {
    const now = Date.now();
    const blocks = promptBlocks(conversation, topLevelCacheControl);
    const hashes: string[] = [];
    const cumulative: number[] = [];
    let hash = createHash('sha256').update(model).digest('hex');
    let total = 0;
    for (const block of blocks) {
      hash = createHash('sha256').update(hash).update('\n').update(block.key).digest('hex');
      total += block.tokens;
      hashes.push(hash);
      cumulative.push(total);
    }
    const breakpoints = blocks.flatMap((block, i) => (block.breakpoint ? [i] : []));
    const lastBreakpoint = breakpoints.at(-1);
    if (lastBreakpoint === undefined) {
      return { input_tokens: total, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    }
    let hit = -1;
    for (const breakpoint of breakpoints) {
      for (let i = breakpoint; i >= 0 && i > breakpoint - CACHE_LOOKBACK_BLOCKS - 1 && i > hit; i--) {
        const entry = this.#entries.get(hashes[i]!);
        if (entry && entry.expiresAt > now) {
          hit = i;
          break;
        }
      }
    }
    if (hit >= 0) {
      const entry = this.#entries.get(hashes[hit]!)!;
      entry.expiresAt = now + entry.ttlMs;
    }
    for (const breakpoint of breakpoints) {
      const ttlMs = TTL_MS[blocks[breakpoint]!.breakpoint!];
      const existing = this.#entries.get(hashes[breakpoint]!);
      if (!existing || existing.expiresAt < now + ttlMs) {
        this.#entries.set(hashes[breakpoint]!, { expiresAt: now + ttlMs, ttlMs });
      }
    }
    const read = hit >= 0 ? cumulative[hit]! : 0;
    const cacheable = cumulative[lastBreakpoint]!;
    return {
      input_tokens: total - cacheable,
      cache_creation_input_tokens: cacheable - read,
      cache_read_input_tokens: read,
    };
  }
}

/** The text in a few pieces, split at word starts, that join back to it exactly. */
function splitText(text: string, maxPieces = 6): string[] {
  const words = text.match(/\s*\S+|\s+$/g) ?? [text];
  const size = Math.ceil(words.length / maxPieces);
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += size) pieces.push(words.slice(i, i + size).join(''));
  return pieces.length ? pieces : [text];
}

/** The JSON of a tool input as the API streams it: an empty first piece, then a few pieces of the text. */
function splitJson(json: string, pieces = 3): string[] {
  const size = Math.max(1, Math.ceil(json.length / pieces));
  const out = [''];
  for (let i = 0; i < json.length; i += size) out.push(json.slice(i, i + size));
  return out;
}

function sse(event: string, data: Json): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The `event: ping` as the API writes it (with a space after the colon). */
const PING = 'event: ping\ndata: {"type": "ping"}\n\n';

/** Whether the request asks for structured output (`output_config.format`). */
function asksForFormat(body: JsonObject): boolean {
  const config = body['output_config'];
  const format = isObject(config) ? config['format'] : undefined;
  return format !== undefined && format !== null;
}

/**
 * A 400 like the API's when the request's `output_config.format` is not a JSON schema, or when the server plays an
 * endpoint without structured output.
 */
function checkOutputConfig(body: JsonObject, allowed: boolean): void {
  const format = (body['output_config'] as JsonObject)['format'];
  if (!allowed) {
    throw new HttpError(400, 'invalid_request_error', 'output_config.format: Extra inputs are not permitted');
  }
  if (!isObject(format) || format['type'] !== 'json_schema' || !isObject(format['schema'])) {
    throw new HttpError(
      400,
      'invalid_request_error',
      'output_config.format: Input should be an object with type "json_schema" and a schema',
    );
  }
}

/**
 * A reply that calls no tool, made the JSON the request's format asks for: the scripted `json` or `report`, text
 * that is already JSON, or the text as the summary of a `done` report.
 */
function asReport(content: ContentBlock[], scripted: ScriptedTurn | undefined): void {
  if (content.some((block) => block.type === 'tool_use')) return;
  const text = content.map((block) => (block.type === 'text' ? block.text : '')).join('\n\n');
  let json: string;
  if (scripted?.json !== undefined) {
    json = JSON.stringify(scripted.json);
  } else if (scripted?.report) {
    json = JSON.stringify({ changes: [], risks: [], follow_ups: [], ...scripted.report });
  } else {
    try {
      JSON.parse(text);
      json = text;
    } catch {
      json = JSON.stringify({ outcome: 'done', summary: text, changes: [], risks: [], follow_ups: [] });
    }
  }
  content.splice(0, content.length, { type: 'text', text: json });
}

function outputTokens(content: ContentBlock[]): number {
  let chars = 0;
  for (const block of content) {
    chars +=
      block.type === 'text' ? block.text.length : block.name.length + JSON.stringify(block.input).length;
  }
  return Math.max(1, estimateTokens(chars));
}

interface RequestContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  record: RecordedRequest;
  /** Aborted when the client goes away or the server closes. */
  signal: AbortSignal;
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function header(req: http.IncomingMessage, name: string): string {
  const value = req.headers[name];
  return (Array.isArray(value) ? value.join(',') : value) ?? '';
}

export async function startMessagesServer(options: MessagesServerOptions = {}): Promise<MessagesServer> {
  let scripts: Scripts = options.scripts ?? {};
  const threads = options.threads ?? true;
  const organizationId = randomUUID();
  const requests: RecordedRequest[] = [];
  const stored = new Map<string, StoredReply>();
  const faultsGiven = new Map<string, number>();
  const cache = new PromptCache();
  const admitted: number[] = [];
  const closing = new AbortController();

  function baseHeaders(record: RecordedRequest): Record<string, string> {
    return { 'request-id': record.requestId, 'anthropic-organization-id': organizationId };
  }

  function rateLimitHeaders(now: number): Record<string, string> {
    if (!options.rateLimit) return {};
    const limit = options.rateLimit.requestsPerSecond;
    const oldest = admitted[0];
    return {
      'anthropic-ratelimit-requests-limit': String(limit),
      'anthropic-ratelimit-requests-remaining': String(Math.max(0, limit - admitted.length)),
      'anthropic-ratelimit-requests-reset': new Date(
        oldest === undefined ? now : oldest + 1000,
      ).toISOString(),
    };
  }

  /** Admit the request into the one-second window, or throw the 429 the API answers beyond the limit. */
  function admit(): void {
    if (!options.rateLimit) return;
    const now = Date.now();
    while (admitted.length && admitted[0]! <= now - 1000) admitted.shift();
    if (admitted.length < options.rateLimit.requestsPerSecond) {
      admitted.push(now);
      return;
    }
    const waitMs = Math.max(1, admitted[0]! + 1000 - now);
    throw new HttpError(
      429,
      'rate_limit_error',
      `This request would exceed the rate limit for your organization of ${options.rateLimit.requestsPerSecond} requests per second.`,
      undefined,
      {
        ...rateLimitHeaders(now),
        'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
        'retry-after-ms': String(waitMs),
        'x-should-retry': 'true',
      },
    );
  }

  function sendError(ctx: RequestContext, error: HttpError): void {
    const { res, record } = ctx;
    const body: JsonObject = {
      type: 'error',
      error: {
        type: error.type,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      },
      request_id: record.requestId,
    };
    const code = error.details?.['error_code'];
    record.error = typeof code === 'string' ? `${error.type}:${code}` : error.type;
    record.outcome = 'http-error';
    res.writeHead(error.status, {
      ...baseHeaders(record),
      ...rateLimitHeaders(Date.now()),
      ...error.headers,
      'content-type': 'application/json',
    });
    res.end(JSON.stringify(body));
  }

  /** The full conversation of a request, and the stored reply a continue claims. */
  function conversationOf(
    body: JsonObject,
    req: http.IncomingMessage,
    record: RecordedRequest,
  ): { conversation: Conversation; previous: StoredReply | null } {
    const messages = body['messages'] as MessageParam[];
    const thread = body['thread'];
    if (thread === undefined || thread === null) {
      return { conversation: { system: body['system'], tools: body['tools'], messages }, previous: null };
    }
    if (!isObject(thread) || (thread['type'] !== 'create' && thread['type'] !== 'continue')) {
      throw new HttpError(
        400,
        'invalid_request_error',
        'thread.type: Input should be "create" or "continue"',
      );
    }
    record.thread = thread['type'];
    if (!threads) {
      throw new HttpError(
        400,
        'invalid_request_error',
        'Message threads are not supported for this request.',
        {
          error_code: 'thread_unsupported_request',
          unsupported: ['thread'],
        },
      );
    }
    const betas = header(req, 'anthropic-beta')
      .split(',')
      .map((beta) => beta.trim());
    if (!betas.includes(THREADS_BETA)) {
      throw new HttpError(400, 'invalid_request_error', `thread: requires the \`${THREADS_BETA}\` beta`);
    }
    if (thread['type'] === 'create') {
      return { conversation: { system: body['system'], tools: body['tools'], messages }, previous: null };
    }
    const previousId = thread['previous_message_id'];
    if (typeof previousId !== 'string' || !previousId) {
      throw new HttpError(400, 'invalid_request_error', 'thread.previous_message_id: Field required');
    }
    record.previousMessageId = previousId;
    for (const field of ['system', 'tools'] as const) {
      if (body[field] !== undefined) {
        throw new HttpError(
          400,
          'invalid_request_error',
          `${field}: cannot be set when continuing a thread; the thread keeps the value it was created with`,
        );
      }
    }
    const previous = stored.get(previousId);
    if (!previous) {
      throw new HttpError(404, 'not_found_error', `No thread found for previous_message_id ${previousId}`, {
        error_code: 'thread_not_found',
      });
    }
    if (previous.continued) {
      throw new HttpError(
        400,
        'invalid_request_error',
        `The response ${previousId} has already been continued; continue from the thread's most recent response.`,
        { error_code: 'thread_already_continued' },
      );
    }
    if (previous.inFlight) {
      throw new HttpError(
        400,
        'invalid_request_error',
        `Another request is still continuing from ${previousId}.`,
        { error_code: 'thread_continue_in_flight' },
      );
    }
    return {
      conversation: {
        system: previous.system,
        tools: previous.tools,
        messages: [...previous.messages, ...messages],
      },
      previous,
    };
  }

  function validate(body: Json): JsonObject {
    if (!isObject(body))
      throw new HttpError(400, 'invalid_request_error', 'Request body must be a JSON object');
    if (typeof body['model'] !== 'string' || !body['model']) {
      throw new HttpError(400, 'invalid_request_error', 'model: Field required');
    }
    if (typeof body['max_tokens'] !== 'number') {
      throw new HttpError(400, 'invalid_request_error', 'max_tokens: Field required');
    }
    const messages = body['messages'];
    if (!Array.isArray(messages))
      throw new HttpError(400, 'invalid_request_error', 'messages: Field required');
    for (const [i, message] of messages.entries()) {
      if (!isObject(message) || (message['role'] !== 'user' && message['role'] !== 'assistant')) {
        throw new HttpError(
          400,
          'invalid_request_error',
          `messages.${i}.role: Input should be 'user' or 'assistant'`,
        );
      }
      if (typeof message['content'] !== 'string' && !Array.isArray(message['content'])) {
        throw new HttpError(400, 'invalid_request_error', `messages.${i}.content: Field required`);
      }
    }
    return body;
  }

  function replyContent(scripted: ScriptedTurn | undefined, task: string | null): ContentBlock[] {
    if (!scripted) {
      return [{ type: 'text', text: task === null ? 'No script for this conversation.' : 'Done.' }];
    }
    const content: ContentBlock[] = [];
    if (scripted.text) content.push({ type: 'text', text: scripted.text });
    for (const tool of scripted.tools ?? []) {
      content.push({ type: 'tool_use', id: randomId('toolu_'), name: tool.name, input: tool.input });
    }
    if (!content.length) content.push({ type: 'text', text: 'Done.' });
    return content;
  }

  async function handle(ctx: RequestContext): Promise<void> {
    const { req, res, record } = ctx;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (options.website) {
      req.resume();
      record.outcome = 'completed';
      res.writeHead(options.website.status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!doctype html><html><head><title>Welcome</title></head><body><h1>Welcome</h1></body></html>\n',
      );
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/messages') {
      req.resume();
      throw new HttpError(404, 'not_found_error', `Not found: ${req.method} ${url.pathname}`);
    }
    if (!header(req, 'x-api-key') && !/^Bearer \S/.test(header(req, 'authorization'))) {
      req.resume();
      throw new HttpError(401, 'authentication_error', 'x-api-key header is required');
    }
    const key = header(req, 'x-api-key') || header(req, 'authorization').replace(/^Bearer /, '');
    if (options.apiKeys && !options.apiKeys.includes(key)) {
      req.resume();
      throw new HttpError(401, 'authentication_error', 'invalid x-api-key');
    }
    const text = await readBody(req);
    let parsed: Json;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'invalid_request_error', 'The request body is not valid JSON');
    }
    if (options.recordBodies) record.body = parsed;
    const body = validate(parsed);
    record.structured = asksForFormat(body);
    if (record.structured) checkOutputConfig(body, options.structuredOutput ?? true);
    const messages = body['messages'] as MessageParam[];
    record.model = body['model'] as string;
    record.stream = body['stream'] === true;
    record.messages = messages.length;
    if (options.models && !options.models.includes(record.model)) {
      throw new HttpError(404, 'not_found_error', `model: ${record.model}`);
    }
    admit();

    const { conversation, previous } = conversationOf(body, req, record);
    record.conversation = conversation.messages.length;
    const breakpoints = promptBlocks(conversation, body['cache_control']).filter((b) => b.breakpoint).length;
    if (breakpoints > MAX_CACHE_BREAKPOINTS) {
      throw new HttpError(
        400,
        'invalid_request_error',
        `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`,
      );
    }
    const task = matchScript(conversation, scripts);
    const turn = conversation.messages.filter((message) => message.role === 'assistant').length;
    record.task = task;
    record.turn = turn;
    const scripted = task === null ? undefined : scripts[task]?.[turn];

    if (previous) previous.inFlight = true;
    let storedReply = false;
    try {
      if (!(await sleep(scripted?.latencyMs ?? options.latencyMs ?? 0, ctx.signal))) return;
      const streamMs = scripted?.streamMs ?? options.streamMs ?? 0;

      let fault: (Fault & { times?: number }) | undefined = scripted?.fault;
      if (fault) {
        const key = `${task}\u0000${turn}`;
        const given = faultsGiven.get(key) ?? 0;
        if (fault.times !== undefined && given >= fault.times) fault = undefined;
        else faultsGiven.set(key, given + 1);
      }
      if (fault) record.fault = fault.kind;
      if (fault?.kind === 'hang') {
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        return;
      }
      if (fault?.kind === 'http') {
        const retryHeaders: Record<string, string> =
          fault.retryAfter === undefined
            ? {}
            : {
                'retry-after': String(fault.retryAfter),
                'retry-after-ms': String(Math.round(fault.retryAfter * 1000)),
              };
        const type = errorTypeFor(fault.status);
        throw new HttpError(
          fault.status,
          type,
          fault.message ?? defaultMessage(fault.status),
          undefined,
          retryHeaders,
        );
      }
      if (fault?.kind === 'drop' && !record.stream) {
        record.outcome = 'dropped';
        res.destroy();
        return;
      }
      if (fault?.kind === 'stream-error' && !record.stream) {
        throw new HttpError(500, 'api_error', fault.message ?? 'Internal server error');
      }

      const content = replyContent(scripted, task);
      if (record.structured) asReport(content, scripted);
      const stopReason = content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn';
      const usage: Usage = {
        ...cache.account(record.model, conversation, body['cache_control']),
        output_tokens: outputTokens(content),
      };
      record.usage = usage;
      const id = randomId('msg_');
      record.messageId = id;
      const threaded = record.thread !== 'none';
      const store = () => {
        if (!threaded) return;
        stored.set(id, {
          system: conversation.system,
          tools: conversation.tools,
          messages: [...withoutCacheControl(conversation.messages), { role: 'assistant', content }],
          continued: false,
          inFlight: false,
        });
        if (previous) Object.assign(previous, { continued: true, inFlight: false, messages: [] });
        storedReply = true;
      };
      const headers = { ...baseHeaders(record), ...rateLimitHeaders(Date.now()) };

      if (!record.stream) {
        const message = {
          id,
          type: 'message',
          role: 'assistant',
          model: record.model,
          content,
          stop_reason: stopReason,
          stop_sequence: null,
          usage: { ...usage, service_tier: 'standard' },
        };
        if (!(await sleep(streamMs, ctx.signal))) return;
        store();
        res.writeHead(200, { ...headers, 'content-type': 'application/json' });
        res.end(JSON.stringify(message));
        record.outcome = 'completed';
        return;
      }

      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
      });
      const events = sseEvents(id, record.model, content, stopReason, usage);
      const interruptAt = fault
        ? events.findIndex((event) => event.startsWith('event: content_block_delta')) + 1
        : -1;
      let flushed: Promise<void> = Promise.resolve();
      const streamStart = performance.now();
      for (const [i, event] of events.entries()) {
        if (i > 0 && !(await sleep(options.chunkDelayMs ?? 0, ctx.signal))) return;
        const due = streamStart + (streamMs * i) / Math.max(1, events.length - 1);
        if (i > 0 && streamMs > 0 && !(await sleep(due - performance.now(), ctx.signal))) return;
        if (ctx.signal.aborted) return;
        if (i === interruptAt && fault?.kind === 'drop') {
          // What was written reaches the client first, so the connection breaks mid-stream, not before it.
          await flushed;
          record.outcome = 'dropped';
          res.destroy();
          return;
        }
        if (i === interruptAt && fault?.kind === 'stream-error') {
          record.outcome = 'stream-error';
          record.error = fault.errorType ?? 'overloaded_error';
          res.end(
            sse('error', {
              type: 'error',
              error: { type: fault.errorType ?? 'overloaded_error', message: fault.message ?? 'Overloaded' },
            }),
          );
          return;
        }
        if (i === events.length - 1) {
          store();
          res.end(event);
          record.outcome = 'completed';
        } else {
          flushed = new Promise((resolve) => res.write(event, () => resolve()));
        }
      }
    } finally {
      if (previous && !storedReply) previous.inFlight = false;
    }
  }

  function errorTypeFor(status: number): string {
    switch (status) {
      case 400:
        return 'invalid_request_error';
      case 401:
        return 'authentication_error';
      case 402:
        return 'billing_error';
      case 403:
        return 'permission_error';
      case 404:
        return 'not_found_error';
      case 413:
        return 'request_too_large';
      case 429:
        return 'rate_limit_error';
      case 504:
        return 'timeout_error';
      case 529:
        return 'overloaded_error';
      default:
        return status >= 500 ? 'api_error' : 'invalid_request_error';
    }
  }

  function defaultMessage(status: number): string {
    if (status === 429) return 'Number of requests has exceeded your rate limit.';
    if (status === 529) return 'Overloaded';
    if (status >= 500) return 'Internal server error';
    return 'Request failed';
  }

  const server = http.createServer((req, res) => {
    const record: RecordedRequest = {
      requestId: randomId('req_'),
      task: null,
      turn: 0,
      stream: false,
      thread: 'none',
      startedAt: Date.now(),
      endedAt: 0,
      status: 0,
      model: '',
      messages: 0,
      conversation: 0,
      outcome: 'pending',
    };
    requests.push(record);
    const gone = new AbortController();
    const signal = AbortSignal.any([gone.signal, closing.signal]);
    res.on('close', () => {
      record.endedAt = Date.now();
      record.status = res.headersSent ? res.statusCode : 0;
      if (record.outcome === 'pending' || (!res.writableFinished && record.outcome === 'completed')) {
        record.outcome = 'aborted';
      }
      gone.abort();
    });
    const ctx: RequestContext = { req, res, record, signal };
    handle(ctx).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendError(ctx, error);
      } else {
        sendError(ctx, new HttpError(500, 'api_error', 'Internal server error'));
      }
    });
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('messages server: no TCP address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    requests,
    setScripts(next: Scripts) {
      scripts = next;
      faultsGiven.clear();
    },
    dropThreads() {
      stored.clear();
    },
    close() {
      closing.abort();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The SSE events of a reply, in the API's order and shapes. */
function sseEvents(
  id: string,
  model: string,
  content: ContentBlock[],
  stopReason: string,
  usage: Usage,
): string[] {
  const events = [
    sse('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
          output_tokens: 1,
          service_tier: 'standard',
        },
      },
    }),
  ];
  for (const [index, block] of content.entries()) {
    if (block.type === 'text') {
      events.push(
        sse('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'text', text: '' },
        }),
      );
      if (index === 0) events.push(PING);
      for (const text of splitText(block.text)) {
        events.push(
          sse('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'text_delta', text },
          }),
        );
      }
    } else {
      events.push(
        sse('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        }),
      );
      if (index === 0) events.push(PING);
      for (const partial_json of splitJson(JSON.stringify(block.input))) {
        events.push(
          sse('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json },
          }),
        );
      }
    }
    events.push(sse('content_block_stop', { type: 'content_block_stop', index }));
  }
  events.push(
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    }),
  );
  events.push(sse('message_stop', { type: 'message_stop' }));
  return events;
}

function parseArgs(argv: string[]): MessagesServerOptions {
  const options: MessagesServerOptions = {};
  const number = (flag: string, value: string | undefined): number => {
    const parsed = Number(value);
    if (value === undefined || !Number.isFinite(parsed)) throw new Error(`${flag} needs a number`);
    return parsed;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--port':
        options.port = number(flag, argv[++i]);
        break;
      case '--latency':
        options.latencyMs = number(flag, argv[++i]);
        break;
      case '--chunk-delay':
        options.chunkDelayMs = number(flag, argv[++i]);
        break;
      case '--stream-ms':
        options.streamMs = number(flag, argv[++i]);
        break;
      case '--rate-limit':
        options.rateLimit = { requestsPerSecond: number(flag, argv[++i]) };
        break;
      case '--no-threads':
        options.threads = false;
        break;
      case '--scripts': {
        const file = argv[++i];
        if (!file) throw new Error('--scripts needs a file');
        options.scripts = JSON.parse(readFileSync(file, 'utf8')) as Scripts;
        break;
      }
      default:
        throw new Error(`unknown argument: ${flag}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const server = await startMessagesServer(parseArgs(process.argv.slice(2)));
  process.stdout.write(`${server.url}\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`messages-server: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
