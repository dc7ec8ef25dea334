/**
 * A loopback stand-in for Linear's GraphQL API (`POST /graphql`), enough of it to resolve task ids: the `issue(id:)`
 * root field (an identifier such as `BAC-124` or the issue's UUID), with aliases, variables and fragments, over
 * `Issue`, `WorkflowState`, `Team`, `IssueRelation` and their connections. It answers only the fields asked for, in
 * Linear's shapes:
 * - `{ data }` on success, with Linear's `x-ratelimit-requests-*` headers (reset in epoch milliseconds);
 * - an unknown issue: HTTP 200, `data: null` (`issue` is non-null) and one `Entity not found: Issue` error per alias,
 *   `extensions.code` `INPUT_ERROR`;
 * - a missing or wrong `Authorization` header (the personal key itself, no `Bearer`): HTTP 401 `AUTHENTICATION_ERROR`;
 * - a rate limit, when told to: HTTP 429 (or the status given) with `RATELIMITED`, `retry-after` and the headers
 *   showing the request budget spent;
 * - a field the schema lacks or a malformed query: HTTP 400 `GRAPHQL_VALIDATION_FAILED`;
 * - when told to, the next requests get scripted answers instead (`answers`): any status and body, even one that is
 *   not JSON or one sent in pieces, for the answers Linear should never give;
 * - two mutations, in Linear's shapes: `commentCreate(input: CommentCreateInput!): CommentPayload!` and
 *   `attachmentCreate(input: AttachmentCreateInput!): AttachmentPayload!` (`issueId` an identifier or a UUID). An
 *   attachment is one per URL per issue, as in Linear: creating it again with the same `url` and `issueId` updates the
 *   one there. What they wrote is in `comments` and `attachments`.
 *
 * Every request is recorded in `requests`.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';

type LinearStateType =
  'triage' | 'backlog' | 'unstarted' | 'started' | 'completed' | 'canceled' | 'duplicate';
type LinearRelationType = 'blocks' | 'duplicate' | 'related' | 'similar';

export interface LinearIssueFixture {
  /** `TEAM-NUMBER`, e.g. `BAC-124`. */
  identifier: string;
  title: string;
  /** Markdown. Default null. */
  description?: string | null;
  /** 0 none, 1 urgent, 2 high, 3 medium, 4 low. Default 0. */
  priority?: number;
  /** Points. Default null (unestimated). */
  estimate?: number | null;
  /** Default `{ name: 'Todo', type: 'unstarted' }`. */
  state?: { name: string; type: LinearStateType };
  /** Relations from this issue (`blocks`: this issue blocks `relatedIssue`); each must name another fixture. */
  relations?: { type: LinearRelationType; relatedIssue: string }[];
}

export interface LinearServerOptions {
  issues: LinearIssueFixture[];
  /** The only `Authorization` value accepted. */
  apiKey: string;
  /** Answer the next N requests with a rate-limit error. Default 0. */
  rateLimitNext?: number;
  /** HTTP status of a rate-limit answer. Default 429. */
  rateLimitStatus?: number;
  /** `retry-after` of a rate-limit answer, in seconds; null sends none. Default 1. */
  retryAfterSeconds?: number | null;
  /** Port on 127.0.0.1. Default 0 (ephemeral). */
  port?: number;
  /** Answers for the next requests, one each, sent as given after the key is checked. Default none. */
  answers?: LinearScriptedAnswer[];
}

/** A raw answer: the body as text, or as pieces sent one by one without a `content-length`. */
interface LinearScriptedAnswer {
  /** Default 200. */
  status?: number;
  body: string | string[];
}

interface LinearRequestRecord {
  method: string;
  path: string;
  /** The `Authorization` header as received. */
  authorization: string | undefined;
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
  /** HTTP status sent. */
  status: number;
  /** `extensions.code` of each error sent. */
  errors: string[];
}

export interface LinearServer {
  /** The GraphQL endpoint, `http://127.0.0.1:PORT/graphql`. */
  url: string;
  requests: LinearRequestRecord[];
  /** Comments created with `commentCreate`, in order. */
  comments: { id: string; issue: string; body: string }[];
  /** Attachments, one per URL per issue; `updates` counts the creations that updated one already there. */
  attachments: {
    id: string;
    issue: string;
    url: string;
    title: string;
    subtitle: string | null;
    updates: number;
  }[];
  /** Answer the next N requests with a rate-limit error. */
  rateLimitNext(n: number): void;
  close(): Promise<void>;
}

const REQUESTS_LIMIT = 5000;
const REQUESTS_WINDOW_MS = 60 * 60_000;
const DEFAULT_PAGE = 50;

interface ErrorBody {
  message: string;
  path?: string[];
  locations?: { line: number; column: number }[];
  extensions: {
    type: string;
    code: string;
    statusCode: number;
    userError: boolean;
    userPresentableMessage: string;
  };
}

function graphqlError(
  code: string,
  type: string,
  statusCode: number,
  message: string,
  userPresentableMessage: string,
): ErrorBody {
  return { message, extensions: { type, code, statusCode, userError: true, userPresentableMessage } };
}

/** A request that fails as a whole: HTTP status and one error, no data. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

function invalid(message: string): RequestError {
  return new RequestError(
    400,
    graphqlError('GRAPHQL_VALIDATION_FAILED', 'graphql error', 400, message, 'Invalid GraphQL request.'),
  );
}

// ---- A small GraphQL reader: queries, aliases, arguments, variables, fragments, inline fragments. ----

type Value =
  | { kind: 'variable'; name: string }
  | { kind: 'literal'; value: unknown }
  | { kind: 'list'; values: Value[] }
  | { kind: 'object'; fields: Record<string, Value> };

interface Field {
  kind: 'field';
  alias: string;
  name: string;
  args: Record<string, Value>;
  selections: Selection[] | null;
  line: number;
  column: number;
}
type Selection =
  Field | { kind: 'spread'; name: string } | { kind: 'inline'; on: string | null; selections: Selection[] };

interface Operation {
  type: string;
  name: string | null;
  variables: { name: string; type: string; defaultValue?: Value }[];
  selections: Selection[];
}

interface Document {
  operations: Operation[];
  fragments: Map<string, { on: string; selections: Selection[] }>;
}

interface Token {
  kind: 'punct' | 'name' | 'string' | 'number';
  value: string;
  line: number;
  column: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = (kind: Token['kind'], value: string, start: number) =>
    tokens.push({ kind, value, line, column: start - lineStart + 1 });
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
    } else if (/[\s,\uFEFF]/.test(c)) i++;
    else if (c === '#') while (i < source.length && source[i] !== '\n') i++;
    else if (source.startsWith('...', i)) {
      at('punct', '...', i);
      i += 3;
    } else if ('{}()[]:$!=@|&'.includes(c)) {
      at('punct', c, i);
      i++;
    } else if (/[_A-Za-z]/.test(c)) {
      const m = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(i))![0];
      at('name', m, i);
      i += m.length;
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(source.slice(i));
      if (!m) throw invalid(`Syntax Error: Unexpected character: "${c}".`);
      at('number', m[0], i);
      i += m[0].length;
    } else if (source.startsWith('"""', i)) {
      const end = source.indexOf('"""', i + 3);
      if (end < 0) throw invalid('Syntax Error: Unterminated string.');
      at('string', source.slice(i + 3, end), i);
      for (const ch of source.slice(i, end)) if (ch === '\n') line++;
      i = end + 3;
    } else if (c === '"') {
      const m = /^"(?:[^"\\\n]|\\.)*"/.exec(source.slice(i));
      if (!m) throw invalid('Syntax Error: Unterminated string.');
      at('string', JSON.parse(m[0]) as string, i);
      i += m[0].length;
    } else throw invalid(`Syntax Error: Unexpected character: "${c}".`);
  }
  return tokens;
}

function parse(source: string): Document {
  const tokens = tokenize(source);
  let p = 0;
  const peek = () => tokens[p];
  const next = () => {
    const t = tokens[p++];
    if (!t) throw invalid('Syntax Error: Unexpected <EOF>.');
    return t;
  };
  const expect = (value: string) => {
    const t = next();
    if (t.value !== value || t.kind === 'string')
      throw invalid(`Syntax Error: Expected "${value}", found "${t.value}".`);
    return t;
  };
  const is = (value: string) => peek()?.kind === 'punct' && peek()?.value === value;
  const name = () => {
    const t = next();
    if (t.kind !== 'name') throw invalid(`Syntax Error: Expected Name, found "${t.value}".`);
    return t.value;
  };

  const value = (): Value => {
    const t = next();
    if (t.kind === 'punct' && t.value === '$') return { kind: 'variable', name: name() };
    if (t.kind === 'string') return { kind: 'literal', value: t.value };
    if (t.kind === 'number') return { kind: 'literal', value: Number(t.value) };
    if (t.kind === 'name') {
      const literals: Record<string, unknown> = { true: true, false: false, null: null };
      return { kind: 'literal', value: t.value in literals ? literals[t.value] : t.value };
    }
    if (t.value === '[') {
      const values: Value[] = [];
      while (!is(']')) values.push(value());
      next();
      return { kind: 'list', values };
    }
    if (t.value === '{') {
      const fields: Record<string, Value> = {};
      while (!is('}')) {
        const key = name();
        expect(':');
        fields[key] = value();
      }
      next();
      return { kind: 'object', fields };
    }
    throw invalid(`Syntax Error: Unexpected "${t.value}".`);
  };

  const typeRef = (): string => {
    let type: string;
    if (is('[')) {
      next();
      type = `[${typeRef()}]`;
      expect(']');
    } else type = name();
    if (is('!')) {
      next();
      type += '!';
    }
    return type;
  };

  const selectionSet = (): Selection[] => {
    expect('{');
    const selections: Selection[] = [];
    while (!is('}')) {
      if (is('...')) {
        next();
        if (peek()?.kind === 'name' && peek()?.value === 'on') {
          next();
          const on = name();
          selections.push({ kind: 'inline', on, selections: selectionSet() });
        } else if (is('{')) selections.push({ kind: 'inline', on: null, selections: selectionSet() });
        else selections.push({ kind: 'spread', name: name() });
        continue;
      }
      const start = peek();
      const alias = name();
      let fieldName = alias;
      if (is(':')) {
        next();
        fieldName = name();
      }
      const args: Record<string, Value> = {};
      if (is('(')) {
        next();
        while (!is(')')) {
          const key = name();
          expect(':');
          args[key] = value();
        }
        next();
      }
      if (is('@')) throw invalid('Directives are not supported by this stand-in.');
      selections.push({
        kind: 'field',
        alias,
        name: fieldName,
        args,
        selections: is('{') ? selectionSet() : null,
        line: start?.line ?? 0,
        column: start?.column ?? 0,
      });
    }
    next();
    return selections;
  };

  const doc: Document = { operations: [], fragments: new Map() };
  while (peek()) {
    if (is('{')) {
      doc.operations.push({ type: 'query', name: null, variables: [], selections: selectionSet() });
      continue;
    }
    const keyword = name();
    if (keyword === 'fragment') {
      const fragmentName = name();
      if (name() !== 'on') throw invalid('Syntax Error: Expected "on".');
      const on = name();
      doc.fragments.set(fragmentName, { on, selections: selectionSet() });
      continue;
    }
    if (!['query', 'mutation', 'subscription'].includes(keyword)) {
      throw invalid(`Syntax Error: Unexpected Name "${keyword}".`);
    }
    const operationName = peek()?.kind === 'name' ? name() : null;
    const variables: Operation['variables'] = [];
    if (is('(')) {
      next();
      while (!is(')')) {
        expect('$');
        const variable = name();
        expect(':');
        const type = typeRef();
        const def: Operation['variables'][number] = { name: variable, type };
        if (is('=')) {
          next();
          def.defaultValue = value();
        }
        variables.push(def);
      }
      next();
    }
    doc.operations.push({ type: keyword, name: operationName, variables, selections: selectionSet() });
  }
  return doc;
}

// ---- The schema this stand-in knows, and the data behind it. ----

interface IssueRecord {
  id: string;
  identifier: string;
  number: number;
  title: string;
  description: string | null;
  priority: number;
  estimate: number | null;
  state: { id: string; name: string; type: string };
  team: { id: string; key: string; name: string };
  relations: RelationRecord[];
  inverseRelations: RelationRecord[];
  createdAt: string;
  updatedAt: string;
}

interface CommentRecord {
  id: string;
  body: string;
  issue: IssueRecord;
  createdAt: string;
  updatedAt: string;
}

interface AttachmentRecord {
  id: string;
  url: string;
  title: string;
  subtitle: string | null;
  metadata: Record<string, unknown>;
  issue: IssueRecord;
  createdAt: string;
  updatedAt: string;
  updates: number;
}

/** What the mutations write. */
interface Store {
  comments: CommentRecord[];
  attachments: AttachmentRecord[];
}

interface RelationRecord {
  id: string;
  type: string;
  issue: IssueRecord;
  relatedIssue: IssueRecord;
  createdAt: string;
  updatedAt: string;
}

type Args = Record<string, unknown>;
interface FieldDef {
  /** A scalar (`String`, `Float`, …) or an object type of this schema; `[T]` for a list. */
  type: string;
  resolve: (parent: never, args: Args) => unknown;
}

const PRIORITY_LABELS = ['No priority', 'Urgent', 'High', 'Medium', 'Low'];
const SCALARS = new Set(['ID', 'String', 'Float', 'Int', 'Boolean', 'DateTime', 'JSONObject']);

function own<T>(key: keyof T): FieldDef['resolve'] {
  return ((parent: T) => parent[key]) as FieldDef['resolve'];
}

function connection(list: (parent: never) => unknown[]): FieldDef['resolve'] {
  return ((parent: never, args: Args) => {
    const all = list(parent);
    const first = typeof args.first === 'number' ? args.first : DEFAULT_PAGE;
    return { nodes: all.slice(0, first), hasNextPage: all.length > first };
  }) as FieldDef['resolve'];
}

const SCHEMA: Record<string, Record<string, FieldDef>> = {
  Issue: {
    id: { type: 'ID', resolve: own<IssueRecord>('id') },
    identifier: { type: 'String', resolve: own<IssueRecord>('identifier') },
    number: { type: 'Float', resolve: own<IssueRecord>('number') },
    title: { type: 'String', resolve: own<IssueRecord>('title') },
    description: { type: 'String', resolve: own<IssueRecord>('description') },
    priority: { type: 'Float', resolve: own<IssueRecord>('priority') },
    priorityLabel: {
      type: 'String',
      resolve: ((i: IssueRecord) => PRIORITY_LABELS[i.priority] ?? 'No priority') as FieldDef['resolve'],
    },
    estimate: { type: 'Float', resolve: own<IssueRecord>('estimate') },
    url: {
      type: 'String',
      resolve: ((i: IssueRecord) =>
        `https://linear.app/example/issue/${i.identifier}`) as FieldDef['resolve'],
    },
    state: { type: 'WorkflowState', resolve: own<IssueRecord>('state') },
    team: { type: 'Team', resolve: own<IssueRecord>('team') },
    relations: {
      type: 'IssueRelationConnection',
      resolve: connection(((i: IssueRecord) => i.relations) as (p: never) => unknown[]),
    },
    inverseRelations: {
      type: 'IssueRelationConnection',
      resolve: connection(((i: IssueRecord) => i.inverseRelations) as (p: never) => unknown[]),
    },
    createdAt: { type: 'DateTime', resolve: own<IssueRecord>('createdAt') },
    updatedAt: { type: 'DateTime', resolve: own<IssueRecord>('updatedAt') },
  },
  WorkflowState: {
    id: { type: 'ID', resolve: own<IssueRecord['state']>('id') },
    name: { type: 'String', resolve: own<IssueRecord['state']>('name') },
    type: { type: 'String', resolve: own<IssueRecord['state']>('type') },
  },
  Team: {
    id: { type: 'ID', resolve: own<IssueRecord['team']>('id') },
    key: { type: 'String', resolve: own<IssueRecord['team']>('key') },
    name: { type: 'String', resolve: own<IssueRecord['team']>('name') },
  },
  IssueRelation: {
    id: { type: 'ID', resolve: own<RelationRecord>('id') },
    type: { type: 'String', resolve: own<RelationRecord>('type') },
    issue: { type: 'Issue', resolve: own<RelationRecord>('issue') },
    relatedIssue: { type: 'Issue', resolve: own<RelationRecord>('relatedIssue') },
    createdAt: { type: 'DateTime', resolve: own<RelationRecord>('createdAt') },
    updatedAt: { type: 'DateTime', resolve: own<RelationRecord>('updatedAt') },
  },
  IssueRelationConnection: {
    nodes: {
      type: '[IssueRelation]',
      resolve: ((c: { nodes: unknown[] }) => c.nodes) as FieldDef['resolve'],
    },
    pageInfo: {
      type: 'PageInfo',
      resolve: ((c: { nodes: RelationRecord[]; hasNextPage: boolean }) => ({
        hasNextPage: c.hasNextPage,
        hasPreviousPage: false,
        startCursor: c.nodes[0]?.id ?? null,
        endCursor: c.nodes.at(-1)?.id ?? null,
      })) as FieldDef['resolve'],
    },
  },
  Comment: {
    id: { type: 'ID', resolve: own<CommentRecord>('id') },
    body: { type: 'String', resolve: own<CommentRecord>('body') },
    url: {
      type: 'String',
      resolve: ((c: CommentRecord) =>
        `https://linear.app/example/issue/${c.issue.identifier}#comment-${c.id.slice(0, 8)}`) as FieldDef['resolve'],
    },
    issue: { type: 'Issue', resolve: own<CommentRecord>('issue') },
    createdAt: { type: 'DateTime', resolve: own<CommentRecord>('createdAt') },
    updatedAt: { type: 'DateTime', resolve: own<CommentRecord>('updatedAt') },
  },
  CommentPayload: {
    lastSyncId: { type: 'Float', resolve: own<{ lastSyncId: number }>('lastSyncId') },
    comment: { type: 'Comment', resolve: own<{ comment: CommentRecord }>('comment') },
    success: { type: 'Boolean', resolve: own<{ success: boolean }>('success') },
  },
  Attachment: {
    id: { type: 'ID', resolve: own<AttachmentRecord>('id') },
    url: { type: 'String', resolve: own<AttachmentRecord>('url') },
    title: { type: 'String', resolve: own<AttachmentRecord>('title') },
    subtitle: { type: 'String', resolve: own<AttachmentRecord>('subtitle') },
    metadata: { type: 'JSONObject', resolve: own<AttachmentRecord>('metadata') },
    issue: { type: 'Issue', resolve: own<AttachmentRecord>('issue') },
    createdAt: { type: 'DateTime', resolve: own<AttachmentRecord>('createdAt') },
    updatedAt: { type: 'DateTime', resolve: own<AttachmentRecord>('updatedAt') },
  },
  AttachmentPayload: {
    lastSyncId: { type: 'Float', resolve: own<{ lastSyncId: number }>('lastSyncId') },
    attachment: { type: 'Attachment', resolve: own<{ attachment: AttachmentRecord }>('attachment') },
    success: { type: 'Boolean', resolve: own<{ success: boolean }>('success') },
  },
  PageInfo: {
    hasNextPage: { type: 'Boolean', resolve: own<{ hasNextPage: boolean }>('hasNextPage') },
    hasPreviousPage: { type: 'Boolean', resolve: own<{ hasPreviousPage: boolean }>('hasPreviousPage') },
    startCursor: { type: 'String', resolve: own<{ startCursor: string }>('startCursor') },
    endCursor: { type: 'String', resolve: own<{ endCursor: string }>('endCursor') },
  },
};

/** The input fields Linear's schema has for each input type this stand-in takes; `!` marks the required ones. */
const INPUTS: Record<string, Record<string, string>> = {
  CommentCreateInput: {
    id: 'String',
    body: 'String',
    bodyData: 'JSON',
    issueId: 'String',
    parentId: 'String',
    projectUpdateId: 'String',
    createAsUser: 'String',
    displayIconUrl: 'String',
    createdAt: 'DateTime',
    doNotSubscribeToIssue: 'Boolean',
    quotedText: 'String',
  },
  AttachmentCreateInput: {
    id: 'String',
    title: 'String!',
    subtitle: 'String',
    url: 'String!',
    issueId: 'String!',
    iconUrl: 'String',
    metadata: 'JSONObject',
    groupBySource: 'Boolean',
    commentBody: 'String',
    commentBodyData: 'JSONObject',
    createAsUser: 'String',
  },
};

/** `input` checked against its input type as Linear's GraphQL layer checks it: no unknown field, no missing one. */
function checkInput(type: string, input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(`Expected value of type "${type}!", found ${JSON.stringify(input)}.`);
  }
  const fields = INPUTS[type]!;
  for (const key of Object.keys(input)) {
    if (!(key in fields)) throw invalid(`Field "${key}" is not defined by type "${type}".`);
  }
  for (const [key, fieldType] of Object.entries(fields)) {
    const value = (input as Record<string, unknown>)[key];
    if (fieldType.endsWith('!') && (value === undefined || value === null)) {
      throw invalid(`Field "${type}.${key}" of required type "${fieldType}" was not provided.`);
    }
    if (
      value !== undefined &&
      value !== null &&
      fieldType.startsWith('String') &&
      typeof value !== 'string'
    ) {
      throw invalid(`String cannot represent a non string value: ${JSON.stringify(value)}`);
    }
  }
  return input as Record<string, unknown>;
}

function buildIssues(fixtures: LinearIssueFixture[]): Map<string, IssueRecord> {
  const byIdentifier = new Map<string, IssueRecord>();
  const teams = new Map<string, IssueRecord['team']>();
  const now = new Date().toISOString();
  for (const f of fixtures) {
    const match = /^([A-Z][A-Z0-9]*)-(\d+)$/.exec(f.identifier);
    if (!match) throw new Error(`linear-server: "${f.identifier}" is not an issue identifier`);
    const key = match[1]!;
    if (!teams.has(key)) teams.set(key, { id: randomUUID(), key, name: key });
    byIdentifier.set(f.identifier, {
      id: randomUUID(),
      identifier: f.identifier,
      number: Number(match[2]),
      title: f.title,
      description: f.description ?? null,
      priority: f.priority ?? 0,
      estimate: f.estimate ?? null,
      state: { id: randomUUID(), ...(f.state ?? { name: 'Todo', type: 'unstarted' }) },
      team: teams.get(key)!,
      relations: [],
      inverseRelations: [],
      createdAt: now,
      updatedAt: now,
    });
  }
  for (const f of fixtures) {
    const issue = byIdentifier.get(f.identifier)!;
    for (const r of f.relations ?? []) {
      const related = byIdentifier.get(r.relatedIssue);
      if (!related)
        throw new Error(`linear-server: ${f.identifier} relates to ${r.relatedIssue}, not a fixture`);
      const relation = {
        id: randomUUID(),
        type: r.type,
        issue,
        relatedIssue: related,
        createdAt: now,
        updatedAt: now,
      };
      issue.relations.push(relation);
      related.inverseRelations.push(relation);
    }
  }
  return byIdentifier;
}

// ---- Execution. ----

class FieldError extends Error {
  constructor(readonly body: ErrorBody) {
    super(body.message);
  }
}

function notFound(field: Field): FieldError {
  return new FieldError({
    ...graphqlError(
      'INPUT_ERROR',
      'invalid input',
      400,
      'Entity not found: Issue',
      'Could not find referenced Issue.',
    ),
    path: [field.alias],
    locations: [{ line: field.line, column: field.column }],
  });
}

function execute(
  doc: Document,
  operationName: string | undefined,
  variables: Record<string, unknown>,
  issues: Map<string, IssueRecord>,
  store: Store,
): { data: Record<string, unknown> | null; errors: ErrorBody[] } {
  const operation = operationName
    ? doc.operations.find((o) => o.name === operationName)
    : doc.operations.length === 1
      ? doc.operations[0]
      : undefined;
  if (!operation) {
    throw invalid(
      operationName
        ? `Unknown operation named "${operationName}".`
        : 'Must provide operation name if query contains multiple operations.',
    );
  }
  if (operation.type !== 'query' && operation.type !== 'mutation')
    throw invalid(`This stand-in answers queries and mutations only, not ${operation.type}s.`);

  const vars: Record<string, unknown> = {};
  for (const def of operation.variables) {
    if (def.name in variables) vars[def.name] = variables[def.name];
    else if (def.defaultValue) vars[def.name] = resolveValue(def.defaultValue, {});
    else if (def.type.endsWith('!')) {
      throw invalid(`Variable "$${def.name}" of required type "${def.type}" was not provided.`);
    }
  }

  const argsOf = (field: Field): Args =>
    Object.fromEntries(Object.entries(field.args).map(([k, v]) => [k, resolveValue(v, vars)]));

  const fieldsOf = (selections: Selection[], typeName: string, seen = new Set<string>()): Field[] =>
    selections.flatMap((s) => {
      if (s.kind === 'field') return [s];
      if (s.kind === 'inline') return s.on && s.on !== typeName ? [] : fieldsOf(s.selections, typeName, seen);
      const fragment = doc.fragments.get(s.name);
      if (!fragment) throw invalid(`Unknown fragment "${s.name}".`);
      if (seen.has(s.name)) throw invalid(`Cannot spread fragment "${s.name}" within itself.`);
      return fragment.on === typeName
        ? fieldsOf(fragment.selections, typeName, new Set([...seen, s.name]))
        : [];
    });

  const complete = (type: string, value: unknown, field: Field): unknown => {
    if (value === null || value === undefined) return null;
    if (type.startsWith('[')) {
      const inner = type.slice(1, -1);
      return (value as unknown[]).map((v) => complete(inner, v, field));
    }
    if (SCALARS.has(type)) {
      if (field.selections)
        throw invalid(
          `Field "${field.name}" must not have a selection since type "${type}" has no subfields.`,
        );
      return value;
    }
    if (!field.selections) {
      throw invalid(`Field "${field.name}" of type "${type}!" must have a selection of subfields.`);
    }
    return selectObject(type, value, field.selections);
  };

  const selectObject = (
    typeName: string,
    value: unknown,
    selections: Selection[],
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const field of fieldsOf(selections, typeName)) {
      if (field.name === '__typename') {
        out[field.alias] = typeName;
        continue;
      }
      const def = SCHEMA[typeName]?.[field.name];
      if (!def) throw invalid(`Cannot query field "${field.name}" on type "${typeName}".`);
      out[field.alias] = complete(def.type, def.resolve(value as never, argsOf(field)), field);
    }
    return out;
  };

  const data: Record<string, unknown> = {};
  const errors: ErrorBody[] = [];
  const issueById = (id: string) => issues.get(id) ?? [...issues.values()].find((i) => i.id === id);
  if (operation.type === 'mutation') {
    // Root fields of a mutation run one after another, in the order written.
    for (const field of fieldsOf(operation.selections, 'Mutation')) {
      try {
        data[field.alias] = mutate(field, argsOf(field), issueById, store, complete);
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
        errors.push(error.body);
      }
    }
    return { data: errors.length ? null : data, errors };
  }
  for (const field of fieldsOf(operation.selections, 'Query')) {
    if (field.name === '__typename') {
      data[field.alias] = 'Query';
      continue;
    }
    if (field.name !== 'issue') throw invalid(`Cannot query field "${field.name}" on type "Query".`);
    const id = argsOf(field).id;
    if (typeof id !== 'string') {
      throw invalid(`Field "issue" argument "id" of type "String!" is required, but it was not provided.`);
    }
    try {
      const issue = issueById(id);
      if (!issue) throw notFound(field);
      data[field.alias] = complete('Issue', issue, field);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      errors.push(error.body);
    }
  }
  // `Query.issue` is non-null: an error in any of them nulls the whole of `data`.
  return { data: errors.length ? null : data, errors };
}

/** `commentCreate` or `attachmentCreate`: writes to `store` and returns the payload, completed for `field`. */
function mutate(
  field: Field,
  args: Args,
  issueById: (id: string) => IssueRecord | undefined,
  store: Store,
  complete: (type: string, value: unknown, field: Field) => unknown,
): unknown {
  const now = new Date().toISOString();
  const lastSyncId = store.comments.length + store.attachments.length + 1000;
  const issueOf = (id: unknown) => {
    const issue = typeof id === 'string' ? issueById(id) : undefined;
    if (!issue) throw notFound(field);
    return issue;
  };
  if (field.name === 'commentCreate') {
    const input = checkInput('CommentCreateInput', args.input);
    const comment: CommentRecord = {
      id: randomUUID(),
      body: typeof input.body === 'string' ? input.body : '',
      issue: issueOf(input.issueId),
      createdAt: now,
      updatedAt: now,
    };
    store.comments.push(comment);
    return complete('CommentPayload', { lastSyncId, comment, success: true }, field);
  }
  if (field.name === 'attachmentCreate') {
    const input = checkInput('AttachmentCreateInput', args.input);
    const issue = issueOf(input.issueId);
    const url = input.url as string;
    let attachment = store.attachments.find((a) => a.issue === issue && a.url === url);
    if (attachment) {
      attachment.title = input.title as string;
      attachment.subtitle = typeof input.subtitle === 'string' ? input.subtitle : attachment.subtitle;
      attachment.updatedAt = now;
      attachment.updates++;
    } else {
      attachment = {
        id: randomUUID(),
        url,
        title: input.title as string,
        subtitle: typeof input.subtitle === 'string' ? input.subtitle : null,
        metadata: (input.metadata as Record<string, unknown> | undefined) ?? {},
        issue,
        createdAt: now,
        updatedAt: now,
        updates: 0,
      };
      store.attachments.push(attachment);
    }
    return complete('AttachmentPayload', { lastSyncId, attachment, success: true }, field);
  }
  throw invalid(`Cannot query field "${field.name}" on type "Mutation".`);
}

function resolveValue(value: Value, vars: Record<string, unknown>): unknown {
  switch (value.kind) {
    case 'variable':
      return vars[value.name];
    case 'literal':
      return value.value;
    case 'list':
      return value.values.map((v) => resolveValue(v, vars));
    case 'object':
      return Object.fromEntries(Object.entries(value.fields).map(([k, v]) => [k, resolveValue(v, vars)]));
  }
}

// ---- HTTP. ----

export async function startLinearServer(options: LinearServerOptions): Promise<LinearServer> {
  const issues = buildIssues(options.issues);
  const store: Store = { comments: [], attachments: [] };
  const requests: LinearRequestRecord[] = [];
  const answers = [...(options.answers ?? [])];
  let limitNext = options.rateLimitNext ?? 0;
  let windowStart = Date.now();
  let spent = 0;

  const budgetHeaders = (remaining: number): Record<string, string> => ({
    'x-ratelimit-requests-limit': String(REQUESTS_LIMIT),
    'x-ratelimit-requests-remaining': String(remaining),
    'x-ratelimit-requests-reset': String(windowStart + REQUESTS_WINDOW_MS),
  });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record: LinearRequestRecord = {
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        query: '',
        variables: {},
        status: 0,
        errors: [],
      };
      requests.push(record);
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        record.status = status;
        record.errors = ((body as { errors?: ErrorBody[] }).errors ?? []).map((e) => e.extensions.code);
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(body));
      };

      if (Date.now() - windowStart > REQUESTS_WINDOW_MS) {
        windowStart = Date.now();
        spent = 0;
      }
      try {
        let payload: { query?: unknown; variables?: unknown; operationName?: unknown };
        try {
          payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof payload;
        } catch {
          throw invalid('POST body missing, invalid Content-Type, or JSON object has no keys.');
        }
        record.query = typeof payload.query === 'string' ? payload.query : '';
        record.variables =
          typeof payload.variables === 'object' && payload.variables !== null
            ? (payload.variables as Record<string, unknown>)
            : {};
        if (typeof payload.operationName === 'string') record.operationName = payload.operationName;

        if (req.method !== 'POST' || !(req.url ?? '').startsWith('/graphql')) {
          throw invalid(`${req.method} ${req.url} is not the GraphQL endpoint; POST /graphql`);
        }
        if (req.headers.authorization !== options.apiKey) {
          throw new RequestError(
            401,
            graphqlError(
              'AUTHENTICATION_ERROR',
              'authentication error',
              401,
              'Authentication required, not authenticated',
              'You need to authenticate to access this operation.',
            ),
          );
        }
        const scripted = answers.shift();
        if (scripted) {
          record.status = scripted.status ?? 200;
          res.writeHead(record.status, { 'content-type': 'application/json; charset=utf-8' });
          if (typeof scripted.body === 'string') res.end(scripted.body);
          else {
            // A client that stops reading closes the connection; the rest of the pieces then go nowhere.
            res.on('error', () => undefined);
            for (const piece of scripted.body) res.write(piece);
            res.end();
          }
          return;
        }
        if (limitNext > 0) {
          limitNext--;
          const retryAfter = options.retryAfterSeconds === undefined ? 1 : options.retryAfterSeconds;
          const status = options.rateLimitStatus ?? 429;
          send(
            status,
            {
              errors: [
                graphqlError(
                  'RATELIMITED',
                  'ratelimited',
                  status,
                  'Rate limit exceeded',
                  'Rate limit exceeded',
                ),
              ],
            },
            {
              ...budgetHeaders(0),
              ...(retryAfter === null
                ? {}
                : {
                    'retry-after': String(retryAfter),
                    'x-ratelimit-requests-reset': String(Date.now() + retryAfter * 1000),
                  }),
            },
          );
          return;
        }
        if (!record.query) throw invalid('Must provide query string.');
        spent++;
        const doc = parse(record.query);
        const result = execute(doc, record.operationName, record.variables, issues, store);
        send(
          200,
          result.errors.length ? { errors: result.errors, data: result.data } : { data: result.data },
          budgetHeaders(Math.max(0, REQUESTS_LIMIT - spent)),
        );
      } catch (error) {
        if (error instanceof RequestError) send(error.status, { errors: [error.body] });
        else
          send(500, {
            errors: [graphqlError('INTERNAL_ERROR', 'internal error', 500, String(error), 'Internal error')],
          });
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests,
    get comments() {
      return store.comments.map((c) => ({ id: c.id, issue: c.issue.identifier, body: c.body }));
    },
    get attachments() {
      return store.attachments.map((a) => ({
        id: a.id,
        issue: a.issue.identifier,
        url: a.url,
        title: a.title,
        subtitle: a.subtitle,
        updates: a.updates,
      }));
    },
    rateLimitNext: (n) => {
      limitNext = n;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
