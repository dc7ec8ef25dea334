import { InputError } from '../errors.js';
import type { TaskSet } from '../tasks/task.js';
import { object, text, type JsonObject } from './payload.js';

/** What the trigger needs from the settings. */
export interface TriggerSettings {
  /** The label that starts a run on `issues` / `pull_request` `labeled` (`trigger-label`). */
  triggerLabel: string;
  /** Whether `/agents run` comments start runs (`comment-command`). */
  commentCommand: boolean;
  /** Bot logins allowed to start a run (`allowed-bots`): `renovate` or `renovate[bot]`; `*` for any bot. */
  allowedBots: string[];
}

/** How the run was asked for. `event` is any other event the workflow chose to run on (a push, a schedule). */
type TriggerKind = 'dispatch' | 'label' | 'comment' | 'event';

/** The issue or pull request a run was started from. */
interface TriggerIssue {
  number: number;
  isPullRequest: boolean;
  /** Login of whoever wrote the body: whose text steers the agents when the tasks are read from it. */
  author: string;
  /** A pull request whose head is in another repository. Undefined when the payload does not say (a comment). */
  fromFork?: boolean;
}

/** A run to start, and who asked for it. */
export interface RunTrigger {
  run: true;
  kind: TriggerKind;
  eventName: string;
  /** Login of who caused the event: the labeller, the commenter, the dispatcher. */
  actor: string;
  actorIsBot: boolean;
  issue?: TriggerIssue;
  /** The trigger label, to be removed at the end so it can be added again. */
  label?: string;
  /** `/agents run BAC-1 BAC-2`: the ids asked for, as written. Undefined when every task runs. */
  selected?: string[];
  /** The comment that held the command. */
  commentId?: number;
}

/** An event that starts nothing, and why, for the log. The step ends successfully. */
interface IgnoredTrigger {
  run: false;
  reason: string;
}

export type TriggerDecision = RunTrigger | IgnoredTrigger;

/** The comment command: `/agents run`, then optional task ids, on the comment's first line. */
const COMMAND = /^\/agents[ \t]+run(?=[ \t]|$)(.*)$/i;

/**
 * Whether an event starts a run. Labels and comments arrive for every label and every comment, which a workflow's
 * `on:` cannot narrow, so they are filtered here; any other event the workflow chose starts a run. Bots never start
 * one unless `allowedBots` names them: that keeps the action's own comments and label changes from starting it
 * again. Pure: the payload is the parsed `GITHUB_EVENT_PATH` file. `fallbackActor` (`GITHUB_ACTOR`) is used when the
 * payload has no `sender`.
 */
export function decideTrigger(
  eventName: string,
  payload: unknown,
  settings: TriggerSettings,
  fallbackActor = '',
): TriggerDecision {
  const event = object(payload) ?? {};
  const action = text(event['action']);
  const sender = object(event['sender']);
  const actor = text(sender?.['login']) ?? fallbackActor;
  const actorIsBot = text(sender?.['type']) === 'Bot' || actor.endsWith('[bot]');
  const issue = issueOf(event);
  const base = { run: true as const, eventName, actor, actorIsBot, ...(issue ? { issue } : {}) };

  if (actorIsBot && !botAllowed(actor, settings.allowedBots)) {
    return ignore(`${actor} is a bot, and \`allowed-bots\` does not list it`);
  }

  switch (eventName) {
    case 'workflow_dispatch':
      return { ...base, kind: 'dispatch' };

    case 'issues':
    case 'pull_request':
    case 'pull_request_target': {
      // Other actions (opened, synchronize) are the workflow's choice; labels are ours to filter.
      if (action !== 'labeled' && action !== 'unlabeled') return { ...base, kind: 'event' };
      const label = text(object(event['label'])?.['name']) ?? '';
      const what = `${eventName === 'issues' ? 'issue' : 'pull request'}${issue ? ` #${issue.number}` : ''}`;
      if (action === 'unlabeled')
        return ignore(`a label was removed from ${what}; only adding one starts a run`);
      if (label.toLowerCase() !== settings.triggerLabel.toLowerCase()) {
        return ignore(
          `label "${label}" was added to ${what}; only "${settings.triggerLabel}" (\`trigger-label\`) starts a run`,
        );
      }
      return { ...base, kind: 'label', label };
    }

    case 'issue_comment': {
      if (action !== 'created')
        return ignore(`a comment was ${action ?? 'changed'}; only a new comment is read`);
      const comment = object(event['comment']);
      const command = parseCommand(text(comment?.['body']) ?? '');
      if (!command) return ignore('the comment is not an `/agents run` command');
      if (!settings.commentCommand) {
        return ignore('`/agents run` comments are turned off (`comment-command: false`)');
      }
      const id = comment?.['id'];
      return {
        ...base,
        kind: 'comment',
        ...(command.length ? { selected: command } : {}),
        ...(typeof id === 'number' ? { commentId: id } : {}),
      };
    }

    default:
      return { ...base, kind: 'event' };
  }
}

function ignore(reason: string): IgnoredTrigger {
  return { run: false, reason };
}

/**
 * The ids of an `/agents run` command, as written (empty for every task), or null when the comment is not one. The
 * command is the comment's first line; what follows may say why. Ids are checked against the tasks later, so a
 * mistyped id gets an error the commenter can see rather than silence.
 */
export function parseCommand(body: string): string[] | null {
  const first = body.replace(/^\s+/, '').split(/\r?\n/, 1)[0] ?? '';
  const match = COMMAND.exec(first.trimEnd());
  if (!match) return null;
  return (match[1] ?? '').split(/[\s,]+/).filter(Boolean);
}

/** Whether `allowed` lists the bot `login`; `renovate` stands for `renovate[bot]`, `*` for every bot. */
export function botAllowed(login: string, allowed: readonly string[]): boolean {
  const name = login.toLowerCase().replace(/\[bot\]$/, '');
  return allowed.some((entry) => {
    const wanted = entry.trim().toLowerCase();
    return wanted === '*' || wanted.replace(/\[bot\]$/, '') === name;
  });
}

/** The issue (issues, issue_comment) or pull request (pull_request*) of the payload. */
function issueOf(event: JsonObject): TriggerIssue | undefined {
  const asIssue = object(event['issue']);
  const pull = object(event['pull_request']);
  const item = asIssue ?? pull;
  const number = item?.['number'];
  if (!item || typeof number !== 'number') return undefined;
  const issue: TriggerIssue = {
    number,
    isPullRequest: asIssue ? object(asIssue['pull_request']) !== undefined : true,
    author: text(object(item['user'])?.['login']) ?? '',
  };
  if (!asIssue && pull) {
    const head = text(object(object(pull['head'])?.['repo'])?.['full_name']);
    const base = text(object(object(pull['base'])?.['repo'])?.['full_name']);
    // A fork that was deleted leaves `head.repo` null: it was not this repository.
    issue.fromFork = head === undefined || base === undefined || head.toLowerCase() !== base.toLowerCase();
  }
  return issue;
}

/**
 * The tasks an `/agents run BAC-1 BAC-2` comment asked for. A dependency on a task left out is taken as done: the
 * commenter chose what to run. Every id must be a task of the set.
 */
export function selectTasks(
  set: TaskSet,
  selected: readonly string[] | undefined,
): { set: TaskSet; notes: string[] } {
  if (!selected?.length) return { set, notes: [] };
  const known = new Set(set.tasks.map((t) => t.id));
  const unknown = [...new Set(selected)].filter((id) => !known.has(id));
  if (unknown.length) {
    throw new InputError(
      `${unknown.map((id) => `"${id}"`).join(', ')} ${unknown.length === 1 ? 'is not a task' : 'are not tasks'} of ${set.source}`,
      'the `/agents run` comment',
      `Name tasks the list has (${set.tasks.map((t) => t.id).join(', ') || 'none'}), or write \`/agents run\` alone for every task`,
    );
  }
  const wanted = new Set(selected);
  const notes: string[] = [];
  const tasks = set.tasks
    .filter((t) => wanted.has(t.id))
    .map((t) => {
      const kept = t.dependsOn.filter((d) => wanted.has(d));
      if (kept.length === t.dependsOn.length) return t;
      const dropped = t.dependsOn.filter((d) => !wanted.has(d));
      notes.push(`${t.id}: not waiting for ${dropped.join(', ')}, which the comment did not select`);
      return { ...t, dependsOn: kept };
    });
  notes.unshift(`Selected by the comment: ${tasks.map((t) => t.id).join(', ')}`);
  return { set: { ...set, tasks }, notes };
}

/**
 * Why the agents run as for untrusted text, when the run was started from a fork's pull request: its text (and, where
 * the workflow checked it out, its code) comes from outside the repository, so without `allow-forks` the agents get
 * no `bash` and the repository's `setup` and `verify` do not run. Undefined for any other run.
 */
export function forkRestriction(trigger: RunTrigger, allowForks: boolean): string | undefined {
  if (!trigger.issue?.fromFork || allowForks) return undefined;
  return (
    `pull request #${trigger.issue.number} comes from a fork: the agents run without \`bash\`, \`setup\` and ` +
    '`verify` (set `allow-forks: true` to run it as any other)'
  );
}

/**
 * The issue or pull request the sticky comment goes on: `issue-number` when given, else the one a label or comment
 * started the run from. Other events (a push, a pull request's `synchronize`) comment nowhere unless told where.
 */
export function commentIssue(trigger: RunTrigger, issueNumber: number | undefined): number | undefined {
  if (issueNumber !== undefined) return issueNumber;
  return trigger.kind === 'label' || trigger.kind === 'comment' ? trigger.issue?.number : undefined;
}
