/**
 * Task ids resolved against Linear's GraphQL API: titles, descriptions, estimates and `blocks` relations come from
 * Linear, what the task file or issue already says wins, and issues that are done or canceled in Linear are left out.
 *
 * A few hand-written requests rather than `@linear/sdk`: the SDK would add about 1.9 MB to the bundle and
 * 0.2 s to every start, and its models fetch an issue's state and relations one request at a time.
 */
import { setTimeout as delay } from 'node:timers/promises';
import pRetry from 'p-retry';
import { InputError } from '../errors.js';
import { formatBytes, readTitle } from './fields.js';
import type { Task, TaskSet } from './task.js';

const LINEAR_API_URL = 'https://api.linear.app/graphql';

export interface LinearOptions {
  /** A personal API key, sent as `Authorization: <key>` (no `Bearer`). Never appears in an error message. */
  apiKey: string;
  /** The GraphQL endpoint. Default {@link LINEAR_API_URL}. */
  apiUrl?: string;
  /** Stops waiting for Linear and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** How many times a rate-limited, failed (HTTP 5xx) or unanswered request is sent again. Default 3. */
  retries?: number;
  /** Milliseconds before the first retry, doubling (with jitter) for each next one. Default 1000. */
  backoffMs?: number;
}

/** Linear could not be asked: rate-limited past the retries, down, or answering something unexpected. */
export class LinearApiError extends Error {
  constructor(
    message: string,
    /** HTTP status of the last answer; absent when none came. */
    readonly status?: number,
    /** `extensions.code` of Linear's first GraphQL error, e.g. `RATELIMITED`. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'LinearApiError';
  }
}

/** An issue as this module reads it. */
interface LinearIssue {
  identifier: string;
  title: string;
  description: string | null;
  /** 0 none, 1 urgent, 2 high, 3 medium, 4 low. */
  priority: number;
  /** In the team's estimate scale (points); null when unestimated. */
  estimate: number | null;
  /** `type` is one of triage, backlog, unstarted, started, completed, canceled, duplicate. */
  state: { type: string; name: string };
  /** Relations from this issue: `blocks` means this issue blocks `relatedIssue`. */
  relations: { nodes: { type: string; relatedIssue: { identifier: string } }[] };
  /** Relations to this issue: `blocks` means `issue` blocks this one. */
  inverseRelations: { nodes: { type: string; issue: { identifier: string } }[] };
}

// Workflow state types whose issues need no agent.
const CLOSED_STATES = new Set(['completed', 'canceled', 'duplicate']);
// Linear rejects a query costing over 10,000 complexity points. One issue below costs about 225 (a connection
// multiplies its nodes by `first`), so 25 issues a request leave room.
const ISSUES_PER_REQUEST = 25;
const RELATIONS_PER_ISSUE = 50;
const DEFAULT_RETRIES = 3;
const REQUEST_TIMEOUT_MS = 30_000;
// The most one answer may weigh. 25 issues with long descriptions come to well under a megabyte; past this the answer
// is not read further.
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
// A rate limit that resets later than this fails now rather than holding the job.
const MAX_WAIT_MS = 60_000;
const AUTH_FIX =
  'Create a personal API key in Linear (Settings → Security & access → Personal API keys) and store it as a secret';
const NOT_FOUND_FIX = 'Check the id, or leave linear-api-key out to use the tasks as written';
const KEY_INPUT = 'input `linear-api-key`';

const ISSUE_FRAGMENT = `fragment TaskIssue on Issue {
  identifier
  title
  description
  priority
  estimate
  state { type name }
  relations(first: ${RELATIONS_PER_ISSUE}) { nodes { type relatedIssue { identifier } } }
  inverseRelations(first: ${RELATIONS_PER_ISSUE}) { nodes { type issue { identifier } } }
}`;

/**
 * Fills in each task from its Linear issue and drops the ones Linear says are finished.
 *
 * - `title`, `prompt` (the description) and `estimate` (points read as hours, 1:1) are taken from Linear when the task
 *   has none; a non-empty value in the input wins.
 * - `dependsOn`, when the input gives none, comes from `blocks` relations between two tasks of the set (A blocks B:
 *   B depends on A); relations to issues outside the set are ignored.
 * - A task whose issue is completed, canceled or a duplicate is removed with a note, and so are dependencies on it.
 *
 * Throws {@link InputError} for an id Linear does not know and for a key Linear refuses, {@link LinearApiError} when
 * Linear cannot be asked.
 */
export async function resolveLinearTasks(
  set: TaskSet,
  options: LinearOptions,
): Promise<{ set: TaskSet; notes: string[] }> {
  const issues = await fetchIssues(set.tasks, options);

  // Linear answers with an issue's current identifier, which differs from the one asked for after a team move.
  const taskOf = new Map<string, string>();
  for (const [id, issue] of issues) {
    taskOf.set(id, id);
    taskOf.set(issue.identifier, id);
  }

  const notes: string[] = [];
  const skipped = new Set<string>();
  for (const task of set.tasks) {
    const issue = issues.get(task.id)!;
    if (CLOSED_STATES.has(issue.state.type)) skipped.add(task.id);
  }

  const blockers = new Map<string, Set<string>>(set.tasks.map((t) => [t.id, new Set()]));
  const addBlock = (blocker: string, blocked: string) => {
    const from = taskOf.get(blocker);
    const to = taskOf.get(blocked);
    if (from && to && from !== to) blockers.get(to)!.add(from);
  };
  for (const [id, issue] of issues) {
    for (const r of issue.relations.nodes) if (r.type === 'blocks') addBlock(id, r.relatedIssue.identifier);
    for (const r of issue.inverseRelations.nodes) if (r.type === 'blocks') addBlock(r.issue.identifier, id);
  }

  const order = new Map(set.tasks.map((t, i) => [t.id, i]));
  const tasks: Task[] = [];
  for (const task of set.tasks) {
    if (skipped.has(task.id)) continue;
    const issue = issues.get(task.id)!;
    const fromLinear = [...blockers.get(task.id)!].sort((a, b) => order.get(a)! - order.get(b)!);
    const dependsOn = (task.dependsOn.length ? task.dependsOn : fromLinear).filter((d) => !skipped.has(d));
    const estimate =
      task.estimate ?? (issue.estimate !== null && issue.estimate > 0 ? issue.estimate : undefined);
    const resolved: Task = {
      ...task,
      title: task.title || readTitle(issue.title, task.id, `${task.id} in Linear`),
      prompt: task.prompt || (issue.description ?? '').trim(),
      dependsOn,
    };
    if (estimate !== undefined) resolved.estimate = estimate;
    tasks.push(resolved);
  }

  for (const task of set.tasks) {
    if (!skipped.has(task.id)) continue;
    const waiting = set.tasks.filter(
      (t) =>
        !skipped.has(t.id) && (t.dependsOn.length ? t.dependsOn : [...blockers.get(t.id)!]).includes(task.id),
    );
    const state = issues.get(task.id)!.state.name;
    notes.push(
      `${task.id} is ${state} in Linear; skipped` +
        (waiting.length
          ? ` (${waiting.map((t) => t.id).join(', ')} no longer ${waiting.length === 1 ? 'waits' : 'wait'} for it)`
          : ''),
    );
  }

  return { set: { ...set, tasks }, notes };
}

/** Each task's issue, keyed by task id; throws {@link InputError} naming the ids Linear does not know. */
async function fetchIssues(tasks: Task[], options: LinearOptions): Promise<Map<string, LinearIssue>> {
  const issues = new Map<string, LinearIssue>();
  const unknown: Task[] = [];
  for (let start = 0; start < tasks.length; start += ISSUES_PER_REQUEST) {
    const chunk = tasks.slice(start, start + ISSUES_PER_REQUEST);
    const answer = await requestIssues(
      chunk.map((t) => t.id),
      options,
    );
    unknown.push(...chunk.filter((t) => answer.unknown.includes(t.id)));
    for (const [id, issue] of answer.issues) issues.set(id, issue);
  }
  if (unknown.length) {
    const ids = unknown.map((t) => t.id);
    throw new InputError(
      `${ids.join(', ')} ${ids.length === 1 ? 'was' : 'were'} not found in Linear`,
      unknown[0]!.where ?? KEY_INPUT,
      NOT_FOUND_FIX,
    );
  }
  return issues;
}

interface GraphQLError {
  message?: string;
  path?: (string | number)[];
  extensions?: { code?: string; type?: string; userPresentableMessage?: string };
}

interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: GraphQLError[];
}

/** One request for up to {@link ISSUES_PER_REQUEST} ids, sent again on rate limits and server errors. */
async function requestIssues(
  ids: string[],
  options: LinearOptions,
): Promise<{ issues: Map<string, LinearIssue>; unknown: string[] }> {
  const aliases = ids.map((_, i) => `i${i}`);
  const query =
    `query TaskIssues(${aliases.map((a) => `$${a}: String!`).join(', ')}) {\n` +
    aliases.map((a) => `  ${a}: issue(id: $${a}) { ...TaskIssue }\n`).join('') +
    `}\n${ISSUE_FRAGMENT}`;
  const variables = Object.fromEntries(aliases.map((a, i) => [a, ids[i]]));
  const body = await postLinear({ query, variables }, options);

  const unknown: string[] = [];
  const other: GraphQLError[] = [];
  for (const error of body.errors ?? []) {
    const alias = error.path?.[0];
    const index = typeof alias === 'string' ? aliases.indexOf(alias) : -1;
    if (index >= 0 && isNotFound(error)) unknown.push(ids[index]!);
    else other.push(error);
  }
  if (other.length) {
    const first = other[0]!;
    throw new LinearApiError(
      redact(
        `Linear answered with an error: ${first.message ?? first.extensions?.code ?? 'unknown'}`,
        options.apiKey,
      ),
      200,
      first.extensions?.code,
    );
  }
  if (unknown.length) return { issues: new Map(), unknown };

  const issues = new Map<string, LinearIssue>();
  aliases.forEach((alias, i) => issues.set(ids[i]!, readIssue(body.data?.[alias], ids[i]!)));
  return { issues, unknown };
}

function isNotFound(error: GraphQLError): boolean {
  return (
    error.extensions?.code === 'INPUT_ERROR' ||
    error.extensions?.type === 'invalid input' ||
    /^Entity not found/.test(error.message ?? '')
  );
}

/** The issue in Linear's answer for `id`, checked field by field, or a LinearApiError naming the first odd one. */
function readIssue(value: unknown, id: string): LinearIssue {
  const wrong = (path: string, found: unknown) =>
    new LinearApiError(`Linear's answer for ${id} is not an issue: ${path} is ${describeJson(found)}`);
  const object = (v: unknown, path: string): Record<string, unknown> => {
    if (!isObject(v)) throw wrong(path, v);
    return v;
  };
  const text = (v: unknown, path: string): string => {
    if (typeof v !== 'string') throw wrong(path, v);
    return v;
  };
  const numberOrNull = (v: unknown, path: string): number | null => {
    if (v === null || v === undefined) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw wrong(path, v);
    return v;
  };
  const nodes = (v: unknown, path: string): Record<string, unknown>[] => {
    const list = object(v, path).nodes;
    if (!Array.isArray(list)) throw wrong(`${path}.nodes`, list);
    return list.map((node, i) => object(node, `${path}.nodes[${i}]`));
  };

  const issue = object(value, 'the issue');
  const description = issue.description ?? null;
  const state = object(issue.state, 'state');
  return {
    identifier: text(issue.identifier, 'identifier'),
    title: text(issue.title, 'title'),
    description: description === null ? null : text(description, 'description'),
    priority: numberOrNull(issue.priority, 'priority') ?? 0,
    estimate: numberOrNull(issue.estimate, 'estimate'),
    state: { type: text(state.type, 'state.type'), name: text(state.name, 'state.name') },
    relations: {
      nodes: nodes(issue.relations, 'relations').map((r, i) => ({
        type: text(r.type, `relations.nodes[${i}].type`),
        relatedIssue: {
          identifier: text(
            object(r.relatedIssue, `relations.nodes[${i}].relatedIssue`).identifier,
            `relations.nodes[${i}].relatedIssue.identifier`,
          ),
        },
      })),
    },
    inverseRelations: {
      nodes: nodes(issue.inverseRelations, 'inverseRelations').map((r, i) => ({
        type: text(r.type, `inverseRelations.nodes[${i}].type`),
        issue: {
          identifier: text(
            object(r.issue, `inverseRelations.nodes[${i}].issue`).identifier,
            `inverseRelations.nodes[${i}].issue.identifier`,
          ),
        },
      })),
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a JSON value is, for messages: `null`, `a list`, `the number 3`, `the text "…"`, `an object`. */
function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  return `the ${typeof value} ${String(value)}`;
}

/** The GraphQL response in `text`, or what the text holds instead (`null`, `text that is not JSON`). */
function readAnswer(text: string): GraphQLResponse | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text.trim() ? 'text that is not JSON' : 'an empty body';
  }
  if (!isObject(value)) return describeJson(value);
  const { data, errors } = value;
  if (errors !== undefined && errors !== null && !(Array.isArray(errors) && errors.every(isObject))) {
    return `an "errors" field that is not a list of errors`;
  }
  if (data !== undefined && data !== null && !isObject(data)) return `"data" that is ${describeJson(data)}`;
  return value as GraphQLResponse;
}

/** The body of `response` as text, or undefined when it is over `limit` bytes, in which case it is not read further. */
async function readCapped(response: Response, limit: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > limit) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * POSTs one GraphQL request; retries rate limits, HTTP 5xx and lost connections; turns a refused key into an
 * InputError. Resolves to the answer, GraphQL errors included, for the caller to read.
 */
export function postLinear(
  payload: { query: string; variables: Record<string, unknown> },
  options: LinearOptions,
): Promise<GraphQLResponse> {
  const { signal } = options;
  return pRetry((attempt) => postOnce(payload, options, attempt), {
    retries: options.retries ?? DEFAULT_RETRIES,
    minTimeout: options.backoffMs ?? 1000,
    maxTimeout: MAX_WAIT_MS,
    // Parallel jobs sharing a key do not retry in step.
    randomize: true,
    signal,
    shouldRetry: ({ error }) => error instanceof LinearRetry,
    // Linear's own wait, when it asks for longer than the backoff. An abort ends it; p-retry then rejects with the
    // signal's reason.
    onFailedAttempt: async ({ error, retryDelay, retriesLeft }) => {
      const more = error instanceof LinearRetry ? (error.waitMs ?? 0) - retryDelay : 0;
      if (retriesLeft > 0 && more > 0) await delay(more, undefined, { signal }).catch(() => {});
    },
  });
}

/** A failure another attempt may cure; its message is the one to show if none does. */
class LinearRetry extends LinearApiError {
  constructor(
    message: string,
    status?: number,
    code?: string,
    /** How long Linear asked to wait, when it said. */
    readonly waitMs?: number,
  ) {
    super(message, status, code);
  }
}

/** One POST: the answer, or the error it ends in ({@link LinearRetry} when another attempt may do better). */
async function postOnce(
  payload: { query: string; variables: Record<string, unknown> },
  options: LinearOptions,
  attempt: number,
): Promise<GraphQLResponse> {
  const url = options.apiUrl ?? LINEAR_API_URL;
  const tries = `${attempt} attempt${attempt > 1 ? 's' : ''}`;
  let response: Response;
  let text: string | undefined;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        Authorization: options.apiKey,
        'Content-Type': 'application/json',
        'User-Agent': 'parallel-agents',
      },
      body: JSON.stringify(payload),
      signal: withTimeout(options.signal),
    });
    text = await readCapped(response, MAX_ANSWER_BYTES);
  } catch (error) {
    throw new LinearRetry(redact(`Could not reach Linear at ${url}: ${reason(error)}`, options.apiKey));
  }

  if (text === undefined) {
    throw new LinearApiError(
      `Linear's answer is over the ${MAX_ANSWER_BYTES / 1024 / 1024} MiB limit (${formatBytes(MAX_ANSWER_BYTES)}); ` +
        'list fewer tasks per run, or leave linear-api-key out to use the tasks as written',
      response.status,
    );
  }
  const answer = readAnswer(text);
  const errors = (typeof answer === 'string' ? undefined : answer)?.errors ?? [];
  const code = errors[0]?.extensions?.code;
  const has = (c: string, type: string) =>
    errors.some((e) => e.extensions?.code === c || e.extensions?.type === type);

  if (response.status === 401 || has('AUTHENTICATION_ERROR', 'authentication error')) {
    throw new InputError('Linear refused the API key', KEY_INPUT, AUTH_FIX);
  }
  if (response.status === 403 || has('FORBIDDEN', 'forbidden')) {
    throw new InputError('Linear refused access with the API key', KEY_INPUT, AUTH_FIX);
  }
  if (response.status === 429 || has('RATELIMITED', 'ratelimited')) {
    const wait = rateLimitWait(response.headers);
    if (wait !== undefined && wait > MAX_WAIT_MS) {
      throw new LinearApiError(
        `Linear's rate limit for this API key resets in ${Math.ceil(wait / 60_000)} min; run again then`,
        response.status,
        code,
      );
    }
    throw new LinearRetry(
      `Linear kept rate-limiting the requests (${tries}); run again in a few minutes`,
      response.status,
      code,
      wait,
    );
  }
  if (response.status >= 500) {
    throw new LinearRetry(
      `Linear answered HTTP ${response.status} (${tries}); run again later`,
      response.status,
      code,
    );
  }
  if (typeof answer === 'string') {
    throw new LinearApiError(
      `Linear answered HTTP ${response.status} with ${answer}, not a GraphQL response; run again later`,
      response.status,
    );
  }
  if (!response.ok && !errors.length) {
    throw new LinearApiError(`Linear answered HTTP ${response.status}`, response.status);
  }
  return answer;
}

/** How long a rate limit asks to wait: `retry-after` when sent, else until the request budget resets. */
function rateLimitWait(headers: Headers): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  // The budget that ran out says when it refills, in epoch milliseconds (read as seconds when too small for that).
  const resets = ['requests', 'complexity']
    .filter((budget) => headers.get(`x-ratelimit-${budget}-remaining`) === '0')
    .map((budget) => Number(headers.get(`x-ratelimit-${budget}-reset`)))
    .filter((at) => Number.isFinite(at) && at > 0)
    .map((at) => (at < 1e12 ? at * 1000 : at));
  return resets.length ? Math.max(0, Math.max(...resets) - Date.now()) : undefined;
}

function withTimeout(signal: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  return error.cause instanceof Error ? error.cause.message : error.message;
}

function redact(text: string, secret: string): string {
  return secret ? text.split(secret).join('***') : text;
}
