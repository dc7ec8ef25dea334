import { InputError } from '../errors.js';
import type { GitHubClient, RepoRef } from './context.js';
import type { RunTrigger } from './trigger.js';

/** Repository permissions, weakest first, as the collaborator-permission API names them. */
export const PERMISSIONS = ['read', 'triage', 'write', 'maintain', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What to do when the task text was written by someone without the required permission. */
export const UNTRUSTED_TEXT = ['refuse', 'read-only'] as const;
export type UntrustedText = (typeof UNTRUSTED_TEXT)[number];

/** A login's permission on the repository; `none` when it has none. */
export type Access = Permission | 'none';

/** Whether the run may go ahead, and on what terms. */
export interface AccessDecision {
  allowed: boolean;
  /** Why not, in one or two sentences for the log and the refusal comment (trusted text: logins in code spans). */
  refusal?: string;
  /** Run without `bash`: the task text is untrusted and `untrusted-text` is `read-only`. */
  dropBash?: boolean;
  /** With `dropBash`: the line that says so, for a warning in the log, the comment and the summary. */
  warning?: string;
  /** What was checked, for the log. */
  notes: string[];
}

export interface CheckAccessOptions {
  /** Made only when a look-up is needed; absent when there is no token. */
  octokit: () => GitHubClient | undefined;
  repo: RepoRef;
  trigger: RunTrigger;
  /** `required-permission`. */
  required: Permission;
  /** `untrusted-text`. */
  untrustedText: UntrustedText;
  /**
   * Who wrote the text the tasks are read from: the issue or pull request body's author. Undefined when the tasks
   * do not come from an issue (the `tasks` input, a file in the repository), which the workflow's authors wrote.
   */
  textAuthor?: string;
  /** Whether `allowed-tools` has `bash`, so the decision can say what `read-only` took away. */
  bash: boolean;
}

/** Whether `access` is at least `required`. */
export function satisfies(access: Access, required: Permission): boolean {
  return access !== 'none' && PERMISSIONS.indexOf(access) >= PERMISSIONS.indexOf(required);
}

/**
 * A login's permission from `GET /repos/{owner}/{repo}/collaborators/{username}/permission`. `role_name` says
 * `maintain` and `triage`, which the older `permission` field folds into `write` and `read`; a custom role's name
 * means nothing here, so the highest of what the answer says is taken: the role, the flags, the permission.
 */
export async function repoPermission(
  octokit: GitHubClient,
  repo: RepoRef,
  username: string,
): Promise<Access> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username });
    const flags = (data.user as { permissions?: Record<string, boolean> } | null)?.permissions ?? {};
    const found: Access[] = [
      asAccess(data.role_name),
      asAccess(data.permission),
      flags['admin'] ? 'admin' : 'none',
      flags['maintain'] ? 'maintain' : 'none',
      flags['push'] ? 'write' : 'none',
      flags['triage'] ? 'triage' : 'none',
      flags['pull'] ? 'read' : 'none',
    ];
    return found.reduce((best, a) => (rank(a) > rank(best) ? a : best), 'none');
  } catch (error) {
    // GitHub answers 404 for a login that is no user at all: that login has no permission.
    if ((error as { status?: unknown }).status === 404) return 'none';
    throw error;
  }
}

function asAccess(value: unknown): Access {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value)
    ? (value as Permission)
    : 'none';
}

function rank(access: Access): number {
  return access === 'none' ? -1 : PERMISSIONS.indexOf(access);
}

/** The login of the author of an issue or pull request, for `issue-number` runs whose payload does not name it. */
export async function issueAuthor(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
): Promise<string> {
  const { data } = await octokit.rest.issues.get({ ...repo, issue_number: issueNumber });
  return data.user?.login ?? '';
}

/**
 * Who wrote the task text, for {@link checkAccess}: undefined when the tasks do not come from an issue (`tasks` or
 * `tasks-file` was given); the triggering issue's author from the payload; otherwise (`issue-number` names another
 * issue) its author, looked up. Empty when it cannot be learnt, which the gate treats as untrusted.
 */
export async function taskTextAuthor(options: {
  trigger: RunTrigger;
  /** Whether the tasks are read from an issue body: neither `tasks` nor `tasks-file` was given. */
  readsIssue: boolean;
  /** The `issue-number` input. */
  issueNumber?: number;
  octokit: () => GitHubClient | undefined;
  repo: RepoRef;
}): Promise<string | undefined> {
  const { trigger, readsIssue, issueNumber } = options;
  // No issue to read either: intake says no tasks were given, which needs no one's permission.
  if (!readsIssue || (issueNumber === undefined && !trigger.issue)) return undefined;
  if (issueNumber === undefined || issueNumber === trigger.issue?.number) return trigger.issue?.author ?? '';
  const client = options.octokit();
  if (!client) return '';
  try {
    return await issueAuthor(client, options.repo, issueNumber);
  } catch (error) {
    if ((error as { status?: unknown }).status !== 404) return '';
    const { owner, repo } = options.repo;
    throw new InputError(
      `issue #${issueNumber} was not found in ${owner}/${repo}`,
      'input `issue-number`',
      'Check the number, and that github-token can read issues',
    );
  }
}

/**
 * The trust gate. Who may start a run: an actor with `required` permission (`workflow_dispatch` needs write to run
 * at all, so it asks nothing). Whose text may steer: when the tasks are read from an issue or pull request, its
 * author needs `required` too; otherwise the run is refused, or with `untrusted-text: read-only` runs without `bash`,
 * since untrusted text never drives an agent with a shell. A look-up that fails refuses: the gate fails closed.
 */
export async function checkAccess(options: CheckAccessOptions): Promise<AccessDecision> {
  const { trigger, required, textAuthor } = options;
  const notes: string[] = [];
  const known = new Map<string, Access>();
  // Only someone with write permission can start a workflow by hand; a higher requirement is looked up.
  const dispatchEnough = trigger.kind === 'dispatch' && satisfies('write', required);

  const lookUp = async (login: string): Promise<Access | string> => {
    if (dispatchEnough && login === trigger.actor) return 'write';
    const cached = known.get(login);
    if (cached) return cached;
    const client = options.octokit();
    if (!client) return 'no `github-token` was given to look the permission up with';
    try {
      const access = await repoPermission(client, options.repo, login);
      known.set(login, access);
      return access;
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const why = error instanceof Error ? error.message : String(error);
      return `the permission look-up failed${typeof status === 'number' ? ` (HTTP ${status})` : ''}: ${why}`;
    }
  };

  // The actor.
  if (dispatchEnough) {
    notes.push(`${who(trigger.actor)} started the workflow by hand, which takes write permission`);
  } else if (!trigger.actor) {
    return refuse('the event names nobody who started it.', notes);
  } else {
    const access = await lookUp(trigger.actor);
    if (!isAccess(access)) {
      return refuse(`could not check whether ${who(trigger.actor)} may start a run: ${access}.`, notes);
    }
    if (!satisfies(access, required)) {
      return refuse(
        `${who(trigger.actor)} has ${describeAccess(access)} permission on this repository; starting a run takes ${required} (\`required-permission\`).`,
        notes,
      );
    }
    notes.push(`${who(trigger.actor)} has ${access} permission (${required} required)`);
  }

  // The text.
  if (textAuthor === undefined) return { allowed: true, notes };
  const source = trigger.issue
    ? describeItem(trigger.issue.isPullRequest, trigger.issue.number)
    : 'the issue';
  const access = textAuthor ? await lookUp(textAuthor) : 'the body has no author';
  const trusted = isAccess(access) && satisfies(access, required);
  if (trusted) {
    if (textAuthor !== trigger.actor)
      notes.push(`the tasks were written by ${who(textAuthor)}, who has ${access} permission`);
    return { allowed: true, notes };
  }
  const why = isAccess(access)
    ? `${who(textAuthor)} wrote the tasks in ${source} but has ${describeAccess(access)} permission on this repository (${required} required)`
    : `could not check who may steer the agents: ${access}`;
  if (options.untrustedText === 'read-only') {
    const warning = options.bash
      ? `${why}: the agents run without \`bash\` (\`untrusted-text: read-only\`)`
      : `${why}: the agents run without a shell (\`untrusted-text: read-only\`; \`bash\` was not allowed anyway)`;
    notes.push(warning);
    return { allowed: true, dropBash: true, warning, notes };
  }
  return refuse(
    `${why}. Text from someone without ${required} permission does not steer agents here: a maintainer can copy the tasks into an issue of their own, or set \`untrusted-text: read-only\` to run them without a shell.`,
    notes,
  );
}

function refuse(refusal: string, notes: string[]): AccessDecision {
  return { allowed: false, refusal, notes };
}

function isAccess(value: Access | string): value is Access {
  return value === 'none' || (PERMISSIONS as readonly string[]).includes(value);
}

function describeAccess(access: Access): string {
  return access === 'none' ? 'no' : `only ${access}`;
}

function describeItem(isPullRequest: boolean, number: number): string {
  return `${isPullRequest ? 'pull request' : 'issue'} #${number}`;
}

/** A login as a code span: named, never mentioned (a mention would notify them). */
function who(login: string): string {
  return `\`${login.replace(/`/g, '')}\``;
}
