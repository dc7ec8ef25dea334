import { verdictOf, type AgentResult } from '../result.js';

/** Each task's status in the last run on an issue, by id: what `only: failed` reads. */
export type Outcome = Record<string, string>;

const RECORD = /<!-- parallel-agents:outcome (\{[^<>]*\}) -->/g;
const ID = /^[A-Za-z][A-Za-z0-9]*-[1-9][0-9]*$/;
const STATUS = /^[a-z][a-z-]*$/;

/**
 * The hidden line at the end of the sticky comment that records each task's status. Only ids and status words go in
 * (nothing an agent wrote), and agent text in the comment has every HTML comment removed, so no report can forge it.
 */
export function renderOutcomeRecord(outcome: Outcome): string {
  return `<!-- parallel-agents:outcome ${JSON.stringify(clean(outcome))} -->`;
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

/** The tasks of this run with their verdicts (a `partial` one is not taken as done), over the record of the runs before it for the tasks it left out. */
export function outcomeOf(results: readonly AgentResult[], previous: Outcome = {}): Outcome {
  const outcome = { ...previous };
  for (const r of results) outcome[r.id] = verdictOf(r);
  return clean(outcome);
}

function clean(outcome: Record<string, unknown>): Outcome {
  return Object.fromEntries(
    Object.entries(outcome).filter(
      (entry): entry is [string, string] =>
        ID.test(entry[0]) && typeof entry[1] === 'string' && STATUS.test(entry[1]),
    ),
  );
}
