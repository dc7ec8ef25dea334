/**
 * The one shape of what a `mode: run` step leaves in `results-dir`, checked before `mode: report` believes a word of
 * it: the files come from artifacts any shard's job (and so any agent with a shell there) could have written. Every
 * string and list is bounded, ids follow the task-id grammar, and fields the schema does not know are dropped.
 * Loaded only by `mode: report`, so zod stays out of the other modes' start.
 */
import { z } from 'zod';
import type { AgentResult, AgentStatus } from '../result.js';
import { isRef } from '../tasks/refs.js';
import type { RecordRun } from './merge.js';
import { MAX_RUN_TASKS } from './records.js';

const STATUSES = [
  'succeeded',
  'failed',
  'failed-verification',
  'turn-limit',
  'timeout',
  'budget',
  'cancelled',
  'skipped',
  'missing',
] as const satisfies readonly AgentStatus[];
// Fails to compile when a status is added to AgentStatus and not here.
type Unlisted = Exclude<AgentStatus, (typeof STATUSES)[number]>;
const everyStatusListed: [Unlisted] extends [never] ? true : never = true;
void everyStatusListed;

const text = (max: number) => z.string().max(max);
const count = z.number().int().min(0).max(1e12);
const seconds = z.number().min(0).max(1e9);
const epochMs = z.number().min(0).max(1e14);
const taskId = z.string().max(64).refine(isRef, 'is not a task id (like BAC-124)');
const ids = z.array(taskId).max(MAX_RUN_TASKS);
const lines = z.array(text(10_000)).max(1_000);

const COMMAND_RUN = z.object({
  command: text(10_000),
  exitCode: z.number().int().nullable(),
  seconds,
  outputTail: text(100_000),
  error: text(10_000).optional(),
});

const RESULT = z.object({
  id: taskId,
  title: text(10_000),
  status: z.enum(STATUSES),
  model: text(200),
  startedAt: epochMs,
  endedAt: epochMs,
  seconds,
  modelSeconds: seconds.optional(),
  turns: count,
  toolCalls: count,
  usage: z.object({ input: count, output: count, cacheWrite: count, cacheRead: count }),
  costUsd: z.number().min(0).max(1e9).nullable(),
  report: text(1_000_000),
  branch: text(1_000),
  buildsOn: ids.optional(),
  commit: z
    .string()
    .regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/)
    .optional(),
  pushed: z.boolean(),
  notPushed: text(10_000).optional(),
  skipped: z
    .array(z.object({ path: text(4_096), reason: text(10_000) }))
    .max(10_000)
    .optional(),
  filesChanged: z.array(text(4_096)).max(100_000),
  insertions: count,
  deletions: count,
  error: text(100_000).optional(),
  setup: COMMAND_RUN.optional(),
  verification: z
    .object({ passed: z.boolean(), runs: z.array(COMMAND_RUN).max(20), fixUps: count })
    .optional(),
  agentReport: z
    .object({
      outcome: z.enum(['done', 'partial', 'blocked']),
      summary: text(1_000_000),
      changes: lines,
      risks: lines,
      followUps: lines,
    })
    .optional(),
  pullRequest: z.object({ number: count, url: text(2_000) }).optional(),
  pullRequestNotOpened: z.object({ reason: text(10_000), compareUrl: text(2_000).optional() }).optional(),
  conflictsWith: ids.optional(),
  mergeOrder: count.optional(),
  leftOut: text(10_000).optional(),
});

const RUN_FILE = z.object({
  version: z.literal(1),
  run: z.object({
    id: z.string().regex(/^[\w.-]{1,64}$/, 'is not a workflow run id'),
    attempt: z.number().int().min(1).max(1_000),
    shard: z
      .string()
      .regex(/^[1-9]\d{0,2}$/, 'is not a shard number')
      .nullable(),
    tasks: z.array(taskId).max(MAX_RUN_TASKS, `lists more than ${MAX_RUN_TASKS} tasks`),
    startedAt: epochMs,
    endedAt: epochMs,
    concurrency: z.number().int().min(1).max(256),
    plan: text(100_000).optional(),
  }),
});

/** Parsed data, or why it does not fit, in one line that quotes nothing from the data itself. */
type Checked<T> = { ok: true; value: T } | { ok: false; why: string };

/** A `run.json` as written by {@link writeRunFile}. */
export function checkRunFile(data: unknown): Checked<RecordRun> {
  const parsed = RUN_FILE.safeParse(data);
  return parsed.success ? { ok: true, value: parsed.data.run } : { ok: false, why: firstIssue(parsed.error) };
}

/** One task's result file, which must be the result of the task it is named after. */
export function checkResult(data: unknown, id: string): Checked<AgentResult> {
  const parsed = RESULT.safeParse(data);
  if (!parsed.success) return { ok: false, why: firstIssue(parsed.error) };
  if (parsed.data.id !== id) return { ok: false, why: 'id: names another task' };
  return { ok: true, value: parsed.data };
}

/** `run.tasks[3]: is not a task id`: where the first problem is and what it is. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'not the expected shape';
  const where = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`));
  const message = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message;
  return `${where.join('') || 'the file'}: ${message.slice(0, 200)}`;
}
