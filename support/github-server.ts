/**
 * A loopback stand-in for the part of the GitHub REST API this action uses, answering the real Octokit from
 * `@actions/github` (`getOctokit(token, { baseUrl: server.url })`) in the response shapes GitHub sends (the same field
 * names as the issue, comment, user, label and pull request objects in `@octokit/webhooks-examples`).
 *
 * Routes, named the way Octokit names them (`GitHubCall.route`, `GitHubFault.route`):
 * - `GET /repos/{owner}/{repo}/issues/{issue_number}` — issues and pull requests (a pull request is an issue too);
 * - `GET|POST /repos/{owner}/{repo}/issues/{issue_number}/comments` (lists paginate with `per_page`, `page` and a
 *   `Link` header), `GET|PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}`; bodies over 65,536 characters get
 *   GitHub's 422;
 * - `DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}`;
 * - `GET /repos/{owner}/{repo}/collaborators/{username}/permission`;
 * - `GET /user` — the token's user; for a bot (an installation token, as `GITHUB_TOKEN` is) GitHub's 403
 *   `Resource not accessible by integration`;
 * - `POST /graphql` — only `viewer { login databaseId }`, which answers for user and installation tokens alike;
 * - `POST /repos/{owner}/{repo}/pulls`, `GET /repos/{owner}/{repo}/pulls` (`state`, `head` as `owner:branch`, `base`,
 *   pagination), `GET|PATCH /repos/{owner}/{repo}/pulls/{pull_number}` (`title`, `body`, `state`, `base`). With
 *   `origin`, a head branch the bare repository lacks gets GitHub's 422; with `drafts: false`, a draft gets the 422 of
 *   a repository whose plan has no drafts.
 *
 * A `status` fault may carry GitHub's own message, e.g. 403 `GitHub Actions is not permitted to create or approve
 * pull requests.` (the repository setting is off) or 403 `Resource not accessible by integration` (the token lacks
 * the permission).
 *
 * Every call needs `Authorization: token …` or `Bearer …` (401 `Bad credentials` otherwise), is recorded in `calls`,
 * and reads or changes `state`, which tests may seed, inspect and change while the server runs. Faults (server errors,
 * primary and secondary rate limits) can be set for the next calls to a route.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { createHash, randomUUID } from 'node:crypto';

/** A user's role in the repository, as `role_name` says it. */
type RepoRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

interface IssueRecord {
  number: number;
  title: string;
  body: string | null;
  /** Login of the author. */
  user: string;
  /** Names of the labels on it. */
  labels: string[];
  state: 'open' | 'closed';
  /** Pull requests are issues too; `GET …/issues/{n}` answers them with a `pull_request` field. */
  pullRequest: boolean;
  createdAt: string;
  updatedAt: string;
}

interface CommentRecord {
  id: number;
  issueNumber: number;
  body: string;
  /** Login of the author. */
  user: string;
  createdAt: string;
  updatedAt: string;
}

interface PullRecord {
  number: number;
  title: string;
  body: string | null;
  /** Branch the changes are on. */
  head: string;
  /** Owner of the head branch's repository (the `octo-org` of `octo-org:branch`). */
  headOwner: string;
  /** Branch the changes would merge into. */
  base: string;
  draft: boolean;
  state: 'open' | 'closed';
  /** Login of the author. */
  user: string;
  createdAt: string;
  updatedAt: string;
}

interface GitHubState {
  issues: IssueRecord[];
  comments: CommentRecord[];
  pulls: PullRecord[];
  /** Role per login; a login not listed has none. */
  permissions: Record<string, RepoRole>;
}

interface IssueSeed {
  number: number;
  title?: string;
  body?: string | null;
  user?: string;
  labels?: string[];
  state?: 'open' | 'closed';
  pullRequest?: boolean;
}

interface CommentSeed {
  issueNumber: number;
  body: string;
  user?: string;
  id?: number;
}

interface PullSeed {
  /** Default: the next free issue number. An issue record with `pullRequest: true` is added for it. */
  number?: number;
  title?: string;
  body?: string | null;
  /** `branch` or `owner:branch`. */
  head: string;
  base?: string;
  draft?: boolean;
  state?: 'open' | 'closed';
  user?: string;
}

/** Which calls fail and how. */
type GitHubFault = {
  /** A route as in `GitHubCall.route` (`POST /repos/{owner}/{repo}/issues/{issue_number}/comments`), or `*`. */
  route: string;
  /** How many of the next matching calls fail. Default 1. */
  times?: number;
} &
  /** `message` is the body's `message`; the status's reason phrase by default. */
  (
    | { kind: 'status'; status: number; message?: string }
    /** 403 (or 429) with `retry-after`, as GitHub answers bursts of writes. */
    | { kind: 'secondary-rate-limit'; retryAfterSeconds?: number; status?: 403 | 429 }
    /** 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`. */
    | { kind: 'rate-limit'; resetInSeconds?: number }
  );

export interface GitHubServerOptions {
  /** `owner/repo` the server holds; any other repository is 404. Default `octo-org/gateway`. */
  repository?: string;
  /** Tokens accepted. Default: any non-empty token. */
  tokens?: string[];
  /** Login of the token's user, the author of the comments and pull requests it creates. Default `github-actions[bot]`. */
  login?: string;
  issues?: IssueSeed[];
  comments?: CommentSeed[];
  pulls?: PullSeed[];
  permissions?: Record<string, RepoRole>;
  faults?: GitHubFault[];
  /** Milliseconds every answer is held back, as a real API's round trip would. Default 0. */
  latencyMs?: number;
  /** Port on 127.0.0.1. Default 0 (ephemeral). */
  port?: number;
  /** A bare repository standing for the repository's branches: a pull request's head must be a branch of it. */
  origin?: string;
  /** Whether the repository's plan has draft pull requests. Default true. */
  drafts?: boolean;
}

interface GitHubCall {
  method: string;
  /** The path without the query, as sent (still percent-encoded). */
  path: string;
  /** The route it matched, as Octokit names it; undefined when none did. */
  route?: string;
  query: Record<string, string>;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
  /** Date.now() on arrival. */
  time: number;
  /** Whether an `Authorization` header came with it. */
  auth: boolean;
  /** HTTP status answered. */
  status: number;
}

export interface GitHubServer {
  /** `http://127.0.0.1:PORT` — Octokit's `baseUrl`, and `GITHUB_API_URL` for the built action. */
  url: string;
  port: number;
  /** Every call, in arrival order. */
  calls: GitHubCall[];
  state: GitHubState;
  /** Fail the next calls to a route. */
  inject(fault: GitHubFault): void;
  /** Close the server and every connection. */
  close(): Promise<void>;
}

/** GitHub's limit on issue, pull request and comment bodies, in characters. */
const MAX_BODY_CHARS = 65_536;
const WEB = 'https://github.com';
const DOCS = 'https://docs.github.com/rest';
const KNOWN_USER_IDS: Record<string, number> = { 'github-actions[bot]': 41898282 };
const ROLE_ORDER: RepoRole[] = ['none', 'read', 'triage', 'write', 'maintain', 'admin'];
const ROLE_PERMISSION: Record<RepoRole, 'admin' | 'write' | 'read' | 'none'> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
  none: 'none',
};

type JsonObject = Record<string, unknown>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body['message']));
  }
}

function notFound(documentation = DOCS): HttpError {
  return new HttpError(404, { message: 'Not Found', documentation_url: documentation, status: '404' });
}

function validationFailed(errors: JsonObject[], documentation: string): HttpError {
  return new HttpError(422, {
    message: 'Validation Failed',
    errors,
    documentation_url: documentation,
    status: '422',
  });
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A stable number for a name, so the same login or branch gets the same id or sha in every run. */
function stableNumber(text: string, digits = 8): number {
  return parseInt(createHash('sha1').update(text).digest('hex').slice(0, 12), 16) % 10 ** digits;
}

function sha(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function nodeId(prefix: string, id: number): string {
  return `${prefix}_kwDO${Buffer.from(String(id)).toString('base64url')}`;
}

/** A body over GitHub's limit (counted in characters, not UTF-16 units), or a missing one. */
function checkBody(body: unknown, resource: string, documentation: string, required: boolean): void {
  if (body === undefined || body === null) {
    if (!required) return;
    throw new HttpError(422, {
      message: 'Invalid request.\n\n"body" wasn\'t supplied.',
      documentation_url: documentation,
      status: '422',
    });
  }
  if (typeof body !== 'string') {
    throw new HttpError(422, {
      message: `Invalid request.\n\nFor 'properties/body', ${JSON.stringify(body)} is not a string.`,
      documentation_url: documentation,
      status: '422',
    });
  }
  if ([...body].length > MAX_BODY_CHARS) {
    throw validationFailed(
      [
        {
          resource,
          code: 'custom',
          field: 'body',
          message: `body is too long (maximum is ${MAX_BODY_CHARS} characters)`,
        },
      ],
      documentation,
    );
  }
}

function seedState(options: GitHubServerOptions, login: string): GitHubState {
  const created = now();
  const issues: IssueRecord[] = (options.issues ?? []).map((seed) => ({
    number: seed.number,
    title: seed.title ?? `Issue ${seed.number}`,
    body: seed.body === undefined ? '' : seed.body,
    user: seed.user ?? 'octocat',
    labels: [...(seed.labels ?? [])],
    state: seed.state ?? 'open',
    pullRequest: seed.pullRequest ?? false,
    createdAt: created,
    updatedAt: created,
  }));
  const state: GitHubState = {
    issues,
    comments: [],
    pulls: [],
    permissions: { ...options.permissions },
  };
  const [owner] = (options.repository ?? 'octo-org/gateway').split('/');
  for (const seed of options.pulls ?? []) {
    const number = seed.number ?? nextNumber(state);
    const [headOwner, head] = splitHead(seed.head, owner ?? '');
    state.pulls.push({
      number,
      title: seed.title ?? `Pull request ${number}`,
      body: seed.body === undefined ? '' : seed.body,
      head,
      headOwner,
      base: seed.base ?? 'main',
      draft: seed.draft ?? false,
      state: seed.state ?? 'open',
      user: seed.user ?? login,
      createdAt: created,
      updatedAt: created,
    });
    const issue = state.issues.find((i) => i.number === number);
    if (issue) issue.pullRequest = true;
    else {
      state.issues.push({
        number,
        title: seed.title ?? `Pull request ${number}`,
        body: seed.body === undefined ? '' : seed.body,
        user: seed.user ?? login,
        labels: [],
        state: seed.state ?? 'open',
        pullRequest: true,
        createdAt: created,
        updatedAt: created,
      });
    }
  }
  let id = 1_000_000_001;
  for (const seed of options.comments ?? []) {
    state.comments.push({
      id: seed.id ?? id++,
      issueNumber: seed.issueNumber,
      body: seed.body,
      user: seed.user ?? 'octocat',
      createdAt: created,
      updatedAt: created,
    });
  }
  return state;
}

/** Whether the bare repository at `origin` has the branch. */
function branchExists(origin: string, branch: string): boolean {
  try {
    execFileSync('git', ['--git-dir', origin, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

function nextNumber(state: GitHubState): number {
  return Math.max(0, ...state.issues.map((i) => i.number), ...state.pulls.map((p) => p.number)) + 1;
}

/** `owner:branch` → [owner, branch]; a bare branch is in the repository's owner's fork. */
function splitHead(head: string, owner: string): [string, string] {
  const colon = head.indexOf(':');
  return colon < 0 ? [owner, head] : [head.slice(0, colon), head.slice(colon + 1)];
}

interface Request {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The request URL without the server's origin, for `Link` headers. */
  path: string;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Handler = (request: Request) => Reply;

interface Route {
  name: string;
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

/** Starts the stand-in on 127.0.0.1. */
export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  const repository = options.repository ?? 'octo-org/gateway';
  const [owner = '', repoName = ''] = repository.split('/');
  const login = options.login ?? 'github-actions[bot]';
  const state = seedState(options, login);
  const calls: GitHubCall[] = [];
  const faults: GitHubFault[] = [...(options.faults ?? [])].map((f) => ({ ...f }));
  let api = '';
  let lastCommentId = 1_000_000_000;
  const repoId = stableNumber(repository);

  // Response objects, in GitHub's field order.

  const user = (name: string) => {
    const id = KNOWN_USER_IDS[name] ?? stableNumber(name);
    const bot = name.endsWith('[bot]');
    const url = `${api}/users/${encodeURIComponent(name)}`;
    return {
      login: name,
      id,
      node_id: nodeId(bot ? 'BOT' : 'U', id),
      avatar_url: `https://avatars.githubusercontent.com/${bot ? 'in' : 'u'}/${id}?v=4`,
      gravatar_id: '',
      url,
      html_url: bot ? `${WEB}/apps/${name.slice(0, -'[bot]'.length)}` : `${WEB}/${name}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: bot ? 'Bot' : 'User',
      user_view_type: 'public',
      site_admin: false,
    };
  };

  const association = (name: string) =>
    name === owner ? 'OWNER' : (state.permissions[name] ?? 'none') === 'none' ? 'NONE' : 'COLLABORATOR';

  const repoUrl = () => `${api}/repos/${repository}`;

  const label = (name: string) => {
    const id = stableNumber(`label:${name}`, 10);
    return {
      id,
      node_id: nodeId('LA', id),
      url: `${repoUrl()}/labels/${encodeURIComponent(name)}`,
      name,
      color: sha(name).slice(0, 6),
      default: false,
      description: null,
    };
  };

  const reactions = (url: string) => ({
    url: `${url}/reactions`,
    total_count: 0,
    '+1': 0,
    '-1': 0,
    laugh: 0,
    hooray: 0,
    confused: 0,
    heart: 0,
    rocket: 0,
    eyes: 0,
  });

  const issueObject = (issue: IssueRecord) => {
    const url = `${repoUrl()}/issues/${issue.number}`;
    const id = stableNumber(`${repository}#${issue.number}`, 10);
    const htmlUrl = `${WEB}/${repository}/${issue.pullRequest ? 'pull' : 'issues'}/${issue.number}`;
    const pull = issue.pullRequest ? state.pulls.find((p) => p.number === issue.number) : undefined;
    return {
      url,
      repository_url: repoUrl(),
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: htmlUrl,
      id,
      node_id: nodeId(issue.pullRequest ? 'PR' : 'I', id),
      number: issue.number,
      title: issue.title,
      user: user(issue.user),
      labels: issue.labels.map(label),
      state: issue.state,
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: state.comments.filter((c) => c.issueNumber === issue.number).length,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.state === 'closed' ? issue.updatedAt : null,
      author_association: association(issue.user),
      active_lock_reason: null,
      ...(issue.pullRequest
        ? {
            draft: pull?.draft ?? false,
            pull_request: {
              url: `${repoUrl()}/pulls/${issue.number}`,
              html_url: htmlUrl,
              diff_url: `${htmlUrl}.diff`,
              patch_url: `${htmlUrl}.patch`,
              merged_at: null,
            },
          }
        : {}),
      body: issue.body,
      closed_by: null,
      reactions: reactions(url),
      timeline_url: `${url}/timeline`,
      performed_via_github_app: null,
      state_reason: null,
    };
  };

  const commentObject = (comment: CommentRecord) => {
    const url = `${repoUrl()}/issues/comments/${comment.id}`;
    const issue = state.issues.find((i) => i.number === comment.issueNumber);
    const kind = issue?.pullRequest ? 'pull' : 'issues';
    return {
      url,
      html_url: `${WEB}/${repository}/${kind}/${comment.issueNumber}#issuecomment-${comment.id}`,
      issue_url: `${repoUrl()}/issues/${comment.issueNumber}`,
      id: comment.id,
      node_id: nodeId('IC', comment.id),
      user: user(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: association(comment.user),
      body: comment.body,
      reactions: reactions(url),
      performed_via_github_app: null,
    };
  };

  const repositoryObject = (name: string) => {
    const full = `${name}/${repoName}`;
    const url = `${api}/repos/${full}`;
    const created = state.issues[0]?.createdAt ?? now();
    const id = name === owner ? repoId : stableNumber(full);
    return {
      id,
      node_id: nodeId('R', id),
      name: repoName,
      full_name: full,
      private: false,
      owner: user(name),
      html_url: `${WEB}/${full}`,
      description: null,
      fork: name !== owner,
      url,
      forks_url: `${url}/forks`,
      keys_url: `${url}/keys{/key_id}`,
      collaborators_url: `${url}/collaborators{/collaborator}`,
      teams_url: `${url}/teams`,
      hooks_url: `${url}/hooks`,
      issue_events_url: `${url}/issues/events{/number}`,
      events_url: `${url}/events`,
      assignees_url: `${url}/assignees{/user}`,
      branches_url: `${url}/branches{/branch}`,
      tags_url: `${url}/tags`,
      blobs_url: `${url}/git/blobs{/sha}`,
      git_tags_url: `${url}/git/tags{/sha}`,
      git_refs_url: `${url}/git/refs{/sha}`,
      trees_url: `${url}/git/trees{/sha}`,
      statuses_url: `${url}/statuses/{sha}`,
      languages_url: `${url}/languages`,
      stargazers_url: `${url}/stargazers`,
      contributors_url: `${url}/contributors`,
      subscribers_url: `${url}/subscribers`,
      subscription_url: `${url}/subscription`,
      commits_url: `${url}/commits{/sha}`,
      git_commits_url: `${url}/git/commits{/sha}`,
      comments_url: `${url}/comments{/number}`,
      issue_comment_url: `${url}/issues/comments{/number}`,
      contents_url: `${url}/contents/{+path}`,
      compare_url: `${url}/compare/{base}...{head}`,
      merges_url: `${url}/merges`,
      archive_url: `${url}/{archive_format}{/ref}`,
      downloads_url: `${url}/downloads`,
      issues_url: `${url}/issues{/number}`,
      pulls_url: `${url}/pulls{/number}`,
      milestones_url: `${url}/milestones{/number}`,
      notifications_url: `${url}/notifications{?since,all,participating}`,
      labels_url: `${url}/labels{/name}`,
      releases_url: `${url}/releases{/id}`,
      deployments_url: `${url}/deployments`,
      created_at: created,
      updated_at: created,
      pushed_at: created,
      git_url: `git://github.com/${full}.git`,
      ssh_url: `git@github.com:${full}.git`,
      clone_url: `${WEB}/${full}.git`,
      svn_url: `${WEB}/${full}`,
      homepage: null,
      size: 0,
      stargazers_count: 0,
      watchers_count: 0,
      language: 'TypeScript',
      has_issues: true,
      has_projects: true,
      has_downloads: true,
      has_wiki: true,
      has_pages: false,
      has_discussions: false,
      forks_count: 0,
      mirror_url: null,
      archived: false,
      disabled: false,
      open_issues_count: state.issues.filter((i) => i.state === 'open').length,
      license: null,
      allow_forking: true,
      is_template: false,
      web_commit_signoff_required: false,
      topics: [],
      forks: 0,
      open_issues: state.issues.filter((i) => i.state === 'open').length,
      watchers: 0,
      default_branch: 'main',
      allow_squash_merge: true,
      allow_merge_commit: true,
      allow_rebase_merge: true,
      delete_branch_on_merge: false,
      visibility: 'public',
      custom_properties: {},
    };
  };

  const branchObject = (branchOwner: string, ref: string) => ({
    label: `${branchOwner}:${ref}`,
    ref,
    sha: sha(`${branchOwner}:${ref}`),
    user: user(branchOwner),
    repo: repositoryObject(branchOwner),
  });

  const pullObject = (pull: PullRecord) => {
    const url = `${repoUrl()}/pulls/${pull.number}`;
    const issueUrl = `${repoUrl()}/issues/${pull.number}`;
    const htmlUrl = `${WEB}/${repository}/pull/${pull.number}`;
    const id = stableNumber(`${repository}!${pull.number}`, 10);
    const head = branchObject(pull.headOwner, pull.head);
    const issue = state.issues.find((i) => i.number === pull.number);
    return {
      url,
      id,
      node_id: nodeId('PR', id),
      html_url: htmlUrl,
      diff_url: `${htmlUrl}.diff`,
      patch_url: `${htmlUrl}.patch`,
      issue_url: issueUrl,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: user(pull.user),
      body: pull.body,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.state === 'closed' ? pull.updatedAt : null,
      merged_at: null,
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      labels: (issue?.labels ?? []).map(label),
      milestone: null,
      draft: pull.draft,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${repoUrl()}/pulls/comments{/number}`,
      comments_url: `${issueUrl}/comments`,
      statuses_url: `${repoUrl()}/statuses/${head.sha}`,
      head,
      base: branchObject(owner, pull.base),
      _links: {
        self: { href: url },
        html: { href: htmlUrl },
        issue: { href: issueUrl },
        comments: { href: `${issueUrl}/comments` },
        review_comments: { href: `${url}/comments` },
        review_comment: { href: `${repoUrl()}/pulls/comments{/number}` },
        commits: { href: `${url}/commits` },
        statuses: { href: `${repoUrl()}/statuses/${head.sha}` },
      },
      author_association: association(pull.user),
      auto_merge: null,
      active_lock_reason: null,
    };
  };

  /** The full pull request object (create and get answer it; lists leave these fields out). */
  const fullPullObject = (pull: PullRecord) => ({
    ...pullObject(pull),
    merged: false,
    mergeable: null,
    rebaseable: null,
    mergeable_state: 'unknown',
    merged_by: null,
    comments: state.comments.filter((c) => c.issueNumber === pull.number).length,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  });

  /** One page of `items` and the `Link` header GitHub sends with it. */
  const page = <T>(request: Request, items: T[]): { items: T[]; headers: Record<string, string> } => {
    const perPage = Math.min(100, Math.max(1, Number(request.query.get('per_page')) || 30));
    const current = Math.max(1, Math.floor(Number(request.query.get('page')) || 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number) => {
      const url = new URL(request.path, api);
      url.searchParams.set('page', String(n));
      return `<${url.href}>`;
    };
    const links: string[] = [];
    if (current > 1) links.push(`${link(current - 1)}; rel="prev"`);
    if (current < last) links.push(`${link(current + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (current > 1) links.push(`${link(1)}; rel="first"`);
    return {
      items: items.slice((current - 1) * perPage, current * perPage),
      headers: links.length ? { link: links.join(', ') } : {},
    };
  };

  const findIssue = (params: Record<string, string>, documentation: string): IssueRecord => {
    const issue = state.issues.find((i) => String(i.number) === params['issue_number']);
    if (!issue) throw notFound(documentation);
    return issue;
  };

  const findComment = (params: Record<string, string>, documentation: string): CommentRecord => {
    const comment = state.comments.find((c) => String(c.id) === params['comment_id']);
    if (!comment) throw notFound(documentation);
    return comment;
  };

  const field = (body: unknown, name: string): unknown =>
    typeof body === 'object' && body !== null ? (body as JsonObject)[name] : undefined;

  const routes: Route[] = [];
  const route = (name: string, handler: Handler) => {
    const [method = '', template = ''] = name.split(' ');
    const keys: string[] = [];
    const source = template
      .split('/')
      .map((part) => {
        const key = /^\{(\w+)\}$/.exec(part)?.[1];
        if (!key) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        keys.push(key);
        return '([^/]+)';
      })
      .join('/');
    routes.push({ name, method, pattern: new RegExp(`^${source}$`), keys, handler });
  };

  route('GET /repos/{owner}/{repo}/issues/{issue_number}', ({ params }) => ({
    status: 200,
    body: issueObject(findIssue(params, `${DOCS}/issues/issues#get-an-issue`)),
  }));

  route('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', (request) => {
    const issue = findIssue(request.params, `${DOCS}/issues/comments#list-issue-comments`);
    const comments = state.comments.filter((c) => c.issueNumber === issue.number).sort((a, b) => a.id - b.id);
    const { items, headers } = page(request, comments);
    return { status: 200, body: items.map(commentObject), headers };
  });

  route('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', ({ params, body }) => {
    const documentation = `${DOCS}/issues/comments#create-an-issue-comment`;
    const issue = findIssue(params, documentation);
    const text = field(body, 'body');
    checkBody(text, 'IssueComment', documentation, true);
    const created = now();
    const comment: CommentRecord = {
      id: (lastCommentId = Math.max(lastCommentId, ...state.comments.map((c) => c.id)) + 1),
      issueNumber: issue.number,
      body: text as string,
      user: login,
      createdAt: created,
      updatedAt: created,
    };
    state.comments.push(comment);
    return {
      status: 201,
      body: commentObject(comment),
      headers: { location: `${repoUrl()}/issues/comments/${comment.id}` },
    };
  });

  route('GET /repos/{owner}/{repo}/issues/comments/{comment_id}', ({ params }) => ({
    status: 200,
    body: commentObject(findComment(params, `${DOCS}/issues/comments#get-an-issue-comment`)),
  }));

  route('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', ({ params, body }) => {
    const documentation = `${DOCS}/issues/comments#update-an-issue-comment`;
    const comment = findComment(params, documentation);
    const text = field(body, 'body');
    checkBody(text, 'IssueComment', documentation, true);
    comment.body = text as string;
    comment.updatedAt = now();
    return { status: 200, body: commentObject(comment) };
  });

  route('DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', ({ params }) => {
    const documentation = `${DOCS}/issues/labels#remove-a-label-from-an-issue`;
    const issue = findIssue(params, documentation);
    const name = (params['name'] ?? '').toLowerCase();
    const index = issue.labels.findIndex((l) => l.toLowerCase() === name);
    if (index < 0) {
      throw new HttpError(404, {
        message: 'Label does not exist',
        documentation_url: documentation,
        status: '404',
      });
    }
    issue.labels.splice(index, 1);
    issue.updatedAt = now();
    return { status: 200, body: issue.labels.map(label) };
  });

  route('GET /repos/{owner}/{repo}/collaborators/{username}/permission', ({ params }) => {
    const name = params['username'] ?? '';
    const role = state.permissions[name] ?? 'none';
    const permission = ROLE_PERMISSION[role];
    const at = (least: RepoRole) => ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(least);
    return {
      status: 200,
      body: {
        permission,
        role_name: role,
        user: {
          ...user(name),
          permissions: {
            admin: at('admin'),
            maintain: at('maintain'),
            push: at('write'),
            triage: at('triage'),
            pull: at('read'),
          },
          role_name: role,
        },
      },
    };
  });

  route('GET /user', () => {
    if (login.endsWith('[bot]')) {
      throw new HttpError(403, {
        message: 'Resource not accessible by integration',
        documentation_url: `${DOCS}/users/users#get-the-authenticated-user`,
        status: '403',
      });
    }
    return { status: 200, body: { ...user(login), name: null, company: null, blog: '', location: null } };
  });

  route('POST /graphql', ({ body }) => {
    const query = field(body, 'query');
    if (typeof query !== 'string' || !/\bviewer\b/.test(query)) {
      return {
        status: 200,
        body: { errors: [{ message: 'The GitHub stand-in only answers `viewer { login databaseId }`' }] },
      };
    }
    const { login: viewerLogin, id } = user(login);
    return { status: 200, body: { data: { viewer: { login: viewerLogin, databaseId: id } } } };
  });

  route('POST /repos/{owner}/{repo}/pulls', ({ body }) => {
    const documentation = `${DOCS}/pulls/pulls#create-a-pull-request`;
    const title = field(body, 'title');
    const head = field(body, 'head');
    const base = field(body, 'base');
    const missing = [
      ...(typeof head === 'string' && head ? [] : ['head']),
      ...(typeof base === 'string' && base ? [] : ['base']),
      ...(typeof title === 'string' && title ? [] : ['title']),
    ];
    if (missing.length) {
      throw validationFailed(
        missing.map((name) => ({ resource: 'PullRequest', code: 'missing_field', field: name })),
        documentation,
      );
    }
    const text = field(body, 'body');
    checkBody(text, 'PullRequest', documentation, false);
    const [headOwner, headRef] = splitHead(head as string, owner);
    if (headOwner === owner && headRef === base) {
      throw validationFailed(
        [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${headRef}` }],
        documentation,
      );
    }
    if (options.origin && headOwner === owner && !branchExists(options.origin, headRef)) {
      throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }], documentation);
    }
    if (options.drafts === false && field(body, 'draft') === true) {
      throw validationFailed(
        [
          {
            resource: 'PullRequest',
            code: 'custom',
            message: 'Draft pull requests are not supported in this repository.',
          },
        ],
        documentation,
      );
    }
    const open = state.pulls.find(
      (p) => p.state === 'open' && p.headOwner === headOwner && p.head === headRef && p.base === base,
    );
    if (open) {
      throw validationFailed(
        [
          {
            resource: 'PullRequest',
            code: 'custom',
            message: `A pull request already exists for ${headOwner}:${headRef}.`,
          },
        ],
        documentation,
      );
    }
    const created = now();
    const number = nextNumber(state);
    const pull: PullRecord = {
      number,
      title: title as string,
      body: typeof text === 'string' ? text : null,
      head: headRef,
      headOwner,
      base: base as string,
      draft: field(body, 'draft') === true,
      state: 'open',
      user: login,
      createdAt: created,
      updatedAt: created,
    };
    state.pulls.push(pull);
    state.issues.push({
      number,
      title: pull.title,
      body: pull.body,
      user: login,
      labels: [],
      state: 'open',
      pullRequest: true,
      createdAt: created,
      updatedAt: created,
    });
    return { status: 201, body: fullPullObject(pull), headers: { location: `${repoUrl()}/pulls/${number}` } };
  });

  route('GET /repos/{owner}/{repo}/pulls', (request) => {
    const wanted = request.query.get('state') ?? 'open';
    const head = request.query.get('head');
    const base = request.query.get('base');
    const pulls = state.pulls
      .filter((p) => wanted === 'all' || p.state === wanted)
      // GitHub only filters by `head` given as `owner:branch`; a bare branch name filters nothing.
      .filter((p) => !head?.includes(':') || `${p.headOwner}:${p.head}` === head)
      .filter((p) => !base || p.base === base)
      .sort((a, b) => b.number - a.number);
    const { items, headers } = page(request, pulls);
    return { status: 200, body: items.map(pullObject), headers };
  });

  const findPull = (params: Record<string, string>, documentation: string): PullRecord => {
    const pull = state.pulls.find((p) => String(p.number) === params['pull_number']);
    if (!pull) throw notFound(documentation);
    return pull;
  };

  route('GET /repos/{owner}/{repo}/pulls/{pull_number}', ({ params }) => ({
    status: 200,
    body: fullPullObject(findPull(params, `${DOCS}/pulls/pulls#get-a-pull-request`)),
  }));

  route('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', ({ params, body }) => {
    const documentation = `${DOCS}/pulls/pulls#update-a-pull-request`;
    const pull = findPull(params, documentation);
    const title = field(body, 'title');
    const text = field(body, 'body');
    const wanted = field(body, 'state');
    const base = field(body, 'base');
    if (title !== undefined && (typeof title !== 'string' || !title)) {
      throw validationFailed(
        [{ resource: 'PullRequest', code: 'missing_field', field: 'title' }],
        documentation,
      );
    }
    if (text !== undefined) checkBody(text, 'PullRequest', documentation, false);
    if (wanted !== undefined && wanted !== 'open' && wanted !== 'closed') {
      throw validationFailed([{ resource: 'PullRequest', code: 'invalid', field: 'state' }], documentation);
    }
    const issue = state.issues.find((i) => i.number === pull.number);
    if (typeof title === 'string') pull.title = title;
    if (typeof text === 'string' || text === null) pull.body = text;
    if (wanted === 'open' || wanted === 'closed') pull.state = wanted;
    if (typeof base === 'string' && base) pull.base = base;
    pull.updatedAt = now();
    if (issue) {
      issue.title = pull.title;
      issue.body = pull.body;
      issue.state = pull.state;
      issue.updatedAt = pull.updatedAt;
    }
    return { status: 200, body: fullPullObject(pull) };
  });

  const takeFault = (name: string): GitHubFault | undefined => {
    const fault = faults.find((f) => (f.route === '*' || f.route === name) && (f.times ?? 1) > 0);
    if (fault) fault.times = (fault.times ?? 1) - 1;
    return fault;
  };

  const faultReply = (fault: GitHubFault): HttpError => {
    switch (fault.kind) {
      case 'status':
        return new HttpError(fault.status, {
          message: fault.message ?? http.STATUS_CODES[fault.status] ?? 'Error',
          documentation_url: DOCS,
          status: String(fault.status),
        });
      case 'secondary-rate-limit':
        return new HttpError(
          fault.status ?? 403,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
            documentation_url:
              'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
            status: String(fault.status ?? 403),
          },
          { 'retry-after': String(fault.retryAfterSeconds ?? 60) },
        );
      case 'rate-limit':
        return new HttpError(
          403,
          {
            message: 'API rate limit exceeded for installation ID 1.',
            documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
            status: '403',
          },
          {
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + (fault.resetInSeconds ?? 60)),
          },
        );
    }
  };

  /** The reply to `call`; sets `call.route` once a route matches. */
  const answer = (call: GitHubCall, url: URL, authorization: string | undefined): Reply => {
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
    if (!token || (options.tokens && !options.tokens.includes(token))) {
      throw new HttpError(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
    }
    const pathname = url.pathname.replace(/\/+$/, '') || '/';
    for (const candidate of routes) {
      if (candidate.method !== call.method) continue;
      const match = candidate.pattern.exec(pathname);
      if (!match) continue;
      const params: Record<string, string> = {};
      candidate.keys.forEach((key, i) => (params[key] = decodeURIComponent(match[i + 1] ?? '')));
      call.route = candidate.name;
      const fault = takeFault(candidate.name);
      if (fault) throw faultReply(fault);
      if (
        'owner' in params &&
        (params['owner']?.toLowerCase() !== owner.toLowerCase() ||
          params['repo']?.toLowerCase() !== repoName.toLowerCase())
      ) {
        throw notFound();
      }
      return candidate.handler({
        params,
        query: url.searchParams,
        body: call.body,
        path: url.pathname + url.search,
      });
    }
    throw notFound();
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', api);
      const raw = Buffer.concat(chunks).toString('utf8');
      const call: GitHubCall = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: undefined,
        time: Date.now(),
        auth: req.headers.authorization !== undefined,
        status: 0,
      };
      calls.push(call);
      let reply: Reply;
      try {
        if (raw) {
          try {
            call.body = JSON.parse(raw);
          } catch {
            throw new HttpError(400, {
              message: 'Problems parsing JSON',
              documentation_url: DOCS,
              status: '400',
            });
          }
        }
        reply = answer(call, url, req.headers.authorization);
      } catch (error) {
        // A fault of the stand-in's own still answers, so the test sees it rather than a crashed worker.
        reply =
          error instanceof HttpError
            ? { status: error.status, body: error.body, headers: error.headers }
            : { status: 500, body: { message: `GitHub stand-in: ${String(error)}`, status: '500' } };
      }
      call.status = reply.status;
      const text = reply.status === 204 ? '' : JSON.stringify(reply.body);
      const send = () => {
        res.writeHead(reply.status, {
          'content-type': 'application/json; charset=utf-8',
          'x-github-media-type': 'github.v3; format=json',
          'x-github-api-version-selected': '2022-11-28',
          'x-github-request-id': randomUUID().toUpperCase(),
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': String(Math.max(0, 5000 - calls.length)),
          'x-ratelimit-used': String(calls.length),
          'x-ratelimit-resource': 'core',
          ...reply.headers,
        });
        res.end(text);
      };
      if (options.latencyMs) setTimeout(send, options.latencyMs);
      else send();
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the GitHub stand-in has no TCP address');
  api = `http://127.0.0.1:${address.port}`;

  return {
    url: api,
    port: address.port,
    calls,
    state,
    inject(fault) {
      faults.push({ ...fault });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
