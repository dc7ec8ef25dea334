import { verdictOf, type AgentResult } from '../result.js';

/** A task as the last run on an issue left it: its verdict, and the branch and pull request that hold its work. */
interface TaskRecord {
  status: string;
  /** The task's branch, when it was pushed to `origin`. */
  branch?: string;
  /** The number of the pull request holding the branch, when one was opened. */
  pr?: number;
}

/** Each task as the runs on an issue left it, by id: what `only: failed` and a re-run of some tasks read. */
export type Outcome = Record<string, TaskRecord>;

const RECORD = /<!-- parallel-agents:outcome (\{[^<>]*\}) -->/g;
const ID = /^[A-Za-z][A-Za-z0-9]*-[1-9][0-9]*$/;
const STATUS = /^[a-z][a-z-]*$/;
/** What `branchName` makes: nothing that could end the HTML comment or leave the JSON. */
const BRANCH = /^[a-z0-9][a-z0-9/._-]{0,200}$/;
/** Past this many characters the record keeps only the statuses: the comment has a limit. */
const FULL_RECORD_MAX_CHARS = 20_000;

/**
 * The hidden line at the end of the sticky comment that records each task's status, branch and pull request. Only
 * ids, status words, branch names and numbers go in (nothing an agent wrote), and agent text in the comment has every
 * HTML comment removed, so no report can forge it.
 */
export function renderOutcomeRecord(outcome: Outcome): string {
  const kept = clean(outcome);
  const full = JSON.stringify(kept);
  const line = (json: string) => `<!-- parallel-agents:outcome ${json} -->`;
  if (full.length <= FULL_RECORD_MAX_CHARS) return line(full);
  const statuses = Object.fromEntries(Object.entries(kept).map(([id, r]) => [id, { status: r.status }]));
  return line(JSON.stringify(statuses));
}

/** The record in a comment the action wrote (the last one, if several); undefined when there is none. */
export function readOutcomeRecord(body: string): Outcome | undefined {
  const last = [...body.matchAll(RECORD)].at(-1)?.[1];
  if (!last) return undefined;
  try {
    const parsed: unknown = JSON.parse(last);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? clean(parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The tasks of this run with their verdicts (a `partial` one is not taken as done), branches and pull requests, over
 * the record of the runs before it for the tasks it left out.
 */
export function outcomeOf(results: readonly AgentResult[], previous: Outcome = {}): Outcome {
  const outcome = { ...previous };
  for (const r of results) {
    outcome[r.id] = {
      status: verdictOf(r),
      ...(r.pushed && r.commit ? { branch: r.branch } : {}),
      ...(r.pullRequest ? { pr: r.pullRequest.number } : {}),
    };
  }
  return clean(outcome);
}

/** Whether the record says `id` succeeded with its work on a branch of `origin`: what a re-run may build on. */
export function pushedWork(outcome: Outcome | undefined, id: string): string | undefined {
  const record = outcome?.[id];
  return record?.status === 'succeeded' ? record.branch : undefined;
}

/** Keeps what the record may hold; a bare status word (the record's first form) stands for `{ status }`. */
function clean(outcome: Record<string, unknown>): Outcome {
  const out: Outcome = {};
  for (const [id, value] of Object.entries(outcome)) {
    if (!ID.test(id)) continue;
    const record = typeof value === 'string' ? { status: value } : value;
    if (typeof record !== 'object' || record === null) continue;
    const { status, branch, pr } = record as Record<string, unknown>;
    if (typeof status !== 'string' || !STATUS.test(status)) continue;
    out[id] = {
      status,
      ...(typeof branch === 'string' && BRANCH.test(branch) && !branch.includes('..') ? { branch } : {}),
      ...(typeof pr === 'number' && Number.isSafeInteger(pr) && pr > 0 ? { pr } : {}),
    };
  }
  return out;
}
