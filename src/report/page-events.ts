import { isAgentEvent, type AgentEvent, type RunEvent, type RunShape } from '../events.js';

type RunStarted = Extract<RunEvent, { type: 'run-started' }>;
type RunEnded = Extract<RunEvent, { type: 'run-ended' }>;

/**
 * The events of one run as the reducer expects them: one `run-started` first, one `run-ended` last (when any log
 * had one), and every other event in between in the order given. A fan-out's shards each log their own start and
 * end, and concatenated logs would otherwise have a later shard's start replace the tasks of the earlier ones.
 * Tasks the starts do not list (an audit line cut a long list short) are added from their own events.
 */
export function asOneRun(events: readonly RunEvent[], shape?: RunShape): RunEvent[] {
  const usable = events.filter(isUsable);
  const starts = usable.filter((e): e is RunStarted => e.type === 'run-started');
  const ends = usable.filter((e): e is RunEnded => e.type === 'run-ended');
  const rest = usable.filter((e) => e.type !== 'run-started' && e.type !== 'run-ended');
  if (usable.length === 0) return [];
  const start: RunStarted = {
    type: 'run-started',
    at: (starts.length ? starts : usable).reduce((min, e) => Math.min(min, e.at), Infinity),
    tasks: tasksOf(starts, rest),
    concurrency: Math.max(
      1,
      starts.reduce((sum, s) => sum + (s.concurrency > 0 ? s.concurrency : 0), 0),
    ),
    source: [...new Set(starts.map((s) => s.source).filter((s) => typeof s === 'string' && s))].join('; '),
    shape: shape ?? shapeOfStarts(starts),
  };
  if (ends.length === 0) return [start, ...rest];
  const last = ends.reduce((a, b) => (b.at > a.at ? b : a));
  return [start, ...rest, { ...last, at: usable.reduce((max, e) => Math.max(max, e.at), -Infinity) }];
}

/** Each task's own events, in order: what its steps and its timeline ticks are drawn from. */
export function eventsByTask(events: readonly RunEvent[]): Map<string, AgentEvent[]> {
  const byTask = new Map<string, AgentEvent[]>();
  for (const event of events) {
    if (!isAgentEvent(event)) continue;
    const list = byTask.get(event.task);
    if (list) list.push(event);
    else byTask.set(event.task, [event]);
  }
  return byTask;
}

/**
 * The events of an audit log (JSON Lines; several logs concatenated are fine). A line that is not JSON (a log cut
 * short by a killed process) is skipped, as is an event without what the page needs.
 */
export function parseAuditLog(jsonl: string): RunEvent[] {
  const events: RunEvent[] = [];
  for (const text of jsonl.split('\n')) {
    if (!text.trim()) continue;
    try {
      const value: unknown = JSON.parse(text);
      if (isUsable(value)) events.push(value);
    } catch {
      // An unreadable line says nothing the page could show.
    }
  }
  return events;
}

function tasksOf(starts: readonly RunStarted[], rest: readonly RunEvent[]): RunStarted['tasks'] {
  const tasks = new Map<string, RunStarted['tasks'][number]>();
  for (const start of starts) {
    for (const t of start.tasks) {
      // The audit log notes a cut list with a string where the rest of it would be.
      if (isRecord(t) && typeof t.id === 'string' && !tasks.has(t.id)) tasks.set(t.id, t);
    }
  }
  for (const event of rest) {
    if (!isAgentEvent(event) || tasks.has(event.task)) continue;
    const result = event.type === 'ended' ? event.result : undefined;
    const model = event.type === 'started' ? event.model : result?.model;
    tasks.set(event.task, { id: event.task, title: result?.title ?? '', model: model ?? '' });
  }
  return [...tasks.values()];
}

/** Every shard's waits together; the longest of their critical paths. */
function shapeOfStarts(starts: readonly RunStarted[]): RunShape {
  const seen = new Set<string>();
  const dependencies: RunShape['dependencies'] = [];
  let criticalPath: string[] = [];
  for (const { shape } of starts) {
    if (!isRecord(shape)) continue;
    for (const d of Array.isArray(shape.dependencies) ? shape.dependencies : []) {
      if (!isRecord(d) || typeof d.task !== 'string' || typeof d.dependsOn !== 'string') continue;
      const key = JSON.stringify([d.task, d.dependsOn]);
      // An overlap the later task stacks on stays one: the timeline says so.
      const stacked = d.stacked === true ? { stacked: true } : {};
      if (!seen.has(key)) dependencies.push({ task: d.task, dependsOn: d.dependsOn, ...stacked });
      seen.add(key);
    }
    const path = Array.isArray(shape.criticalPath)
      ? shape.criticalPath.filter((id) => typeof id === 'string')
      : [];
    if (path.length > criticalPath.length) criticalPath = path;
  }
  return { dependencies, criticalPath };
}

/**
 * Whether an event (perhaps read back from a log) has what the reducer and the page read. An audit line too long to
 * keep holds only the event's type, task and time; such an event is left out rather than folded half-empty.
 */
function isUsable(value: unknown): value is RunEvent {
  if (!isRecord(value) || typeof value.type !== 'string' || typeof value.at !== 'number') return false;
  if (!Number.isFinite(value.at)) return false;
  if ('task' in value && typeof value.task !== 'string') return false;
  switch (value.type) {
    case 'run-started':
      return Array.isArray(value.tasks);
    case 'ended':
      return isRecord(value.result) && typeof value.result.id === 'string' && isRecord(value.result.usage);
    case 'started':
      return typeof value.model === 'string';
    case 'usage':
      return isRecord(value.usage);
    case 'check':
      return isRecord(value.run);
    case 'tool-call':
    case 'tool-result':
      return typeof value.tool === 'string';
    case 'pull-request':
      return isRecord(value.pullRequest);
    case 'pull-request-not-opened':
      return isRecord(value.notOpened);
    case 'stopping':
      return typeof value.reason === 'string';
    case 'warning':
      return typeof value.message === 'string';
    case 'note':
      return typeof value.topic === 'string' && typeof value.text === 'string';
    case 'progress':
      return typeof value.doing === 'string' && (value.percent === null || typeof value.percent === 'number');
    case 'together':
      return isRecord(value.check);
    case 'merge-check':
      return (
        isRecord(value.check) &&
        ['branches', 'conflicts', 'order', 'leftOut'].every((k) =>
          Array.isArray((value.check as Record<string, unknown>)[k]),
        )
      );
    default:
      return true;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
