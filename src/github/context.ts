import { existsSync, readFileSync } from 'node:fs';
import type { getOctokit } from '@actions/github';
import { object, text, type JsonObject } from './payload.js';

/** The Octokit `@actions/github` hands out: REST methods under `rest`, and `paginate`. */
export type GitHubClient = ReturnType<typeof getOctokit>;

export interface RepoRef {
  owner: string;
  repo: string;
}

/** The event this run is for, read once: what triggered it, where, by whom, and about which issue. */
export interface RunContext {
  /** `issues`, `issue_comment`, `workflow_dispatch`, `pull_request`, … */
  eventName: string;
  /** The payload's `action` (`labeled`, `created`); undefined for events without one, such as `workflow_dispatch`. */
  action?: string;
  repo: RepoRef;
  /** Login of who caused the event (the payload's `sender`; `GITHUB_ACTOR` when the payload has none). */
  actor: string;
  /** Whether the actor is a GitHub App's bot account, for `allowed-bots`. */
  actorIsBot: boolean;
  /** REST API root: `GITHUB_API_URL`, or `https://api.github.com`. */
  apiUrl: string;
  /** The issue or pull request the event is about. */
  issue?: { number: number; title: string; body: string; isPullRequest: boolean };
  /** The label added or removed, for `labeled` / `unlabeled`. */
  label?: string;
  /** The comment, for `issue_comment`. */
  comment?: { id: number; body: string; user: string };
}

/** Environment variables the runner sets; `process.env` fits. */
export type RunnerEnv = Record<string, string | undefined>;

/** The event's payload as the runner wrote it to `GITHUB_EVENT_PATH`; empty when there is none. */
export function readEventPayload(env: RunnerEnv): unknown {
  const eventPath = env['GITHUB_EVENT_PATH'];
  return eventPath && existsSync(eventPath) ? JSON.parse(readFileSync(eventPath, 'utf8')) : {};
}

/** The run's context from an event's name and payload (a webhook payload as GitHub sends it) and the runner's env. */
export function runContextFrom(eventName: string, payload: unknown, env: RunnerEnv = {}): RunContext {
  const event = object(payload) ?? {};
  const sender = object(event['sender']);
  const actor = text(sender?.['login']) ?? env['GITHUB_ACTOR'] ?? '';
  const context: RunContext = {
    eventName,
    repo: repoOf(event, env),
    actor,
    actorIsBot: text(sender?.['type']) === 'Bot' || actor.endsWith('[bot]'),
    apiUrl: env['GITHUB_API_URL'] || 'https://api.github.com',
  };
  const action = text(event['action']);
  if (action) context.action = action;

  // `issue` (issues, issue_comment — a pull request's when it carries `pull_request`) or `pull_request` (pull_request*).
  const asIssue = object(event['issue']);
  const issue = asIssue ?? object(event['pull_request']);
  if (issue && typeof issue['number'] === 'number') {
    context.issue = {
      number: issue['number'],
      title: text(issue['title']) ?? '',
      body: text(issue['body']) ?? '',
      isPullRequest: asIssue ? object(asIssue['pull_request']) !== undefined : true,
    };
  }

  const label = text(object(event['label'])?.['name']);
  if (label !== undefined) context.label = label;

  const comment = object(event['comment']);
  if (comment && typeof comment['id'] === 'number') {
    context.comment = {
      id: comment['id'],
      body: text(comment['body']) ?? '',
      user: text(object(comment['user'])?.['login']) ?? '',
    };
  }
  return context;
}

/** `GITHUB_REPOSITORY` (`owner/repo`), or the payload's repository. */
function repoOf(event: JsonObject, env: RunnerEnv): RepoRef {
  const [owner, repo] = (env['GITHUB_REPOSITORY'] ?? '').split('/');
  if (owner && repo) return { owner, repo };
  const repository = object(event['repository']);
  const payloadOwner = text(object(repository?.['owner'])?.['login']);
  const payloadRepo = text(repository?.['name']);
  if (payloadOwner && payloadRepo) return { owner: payloadOwner, repo: payloadRepo };
  throw new Error(
    'GITHUB_REPOSITORY is not set and the event names no repository; run the action in a workflow',
  );
}
