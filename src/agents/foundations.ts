import type { Foundation as FoundationCommit, Tip } from '../git/foundation.js';
import type { Foundation } from '../model/prompt.js';
import type { AgentResult } from '../result.js';
import type { Plan } from '../tasks/plan.js';
import type { Task } from '../tasks/task.js';

/** A task this one waits for, and why. */
interface Under {
  id: string;
  why: Foundation['why'];
}

/** A dependency an earlier run finished and this run leaves out: its pushed commit stands for its work. */
export interface EarlierTip {
  /** The task of this run that builds on it. */
  task: string;
  on: string;
  title: string;
  commit: string;
  filesChanged: string[];
}

/** Where a task starts, as the scheduler hands it to its agent, or why it cannot start. */
export type Start = { options: { startPoint?: string }; buildsOn: Foundation[] } | { notStarted: string };

/**
 * What each ended task leaves for the tasks that build on it. A task's tip is where its work ends: its commit when it
 * succeeded (or, having changed nothing, the commit it started from), and only the commit it started from when it did
 * not, so a task stacked on a failed one still gets what that one had built on, and nothing of its own.
 */
export class FoundationBook {
  private readonly under = new Map<string, Under[]>();
  private readonly starts = new Map<string, string | undefined>();
  private readonly tips = new Map<string, string>();
  /** Tasks that succeeded with changes: what the agents are told they build on. */
  private readonly done = new Map<string, { title: string; filesChanged: string[] }>();

  constructor(plan: Pick<Plan, 'dependencies' | 'stacks'>, earlier: readonly EarlierTip[] = []) {
    const add = (task: string, under: Under) =>
      this.under.set(task, [...(this.under.get(task) ?? []), under]);
    for (const d of plan.dependencies) add(d.task, { id: d.dependsOn, why: 'dependency' });
    for (const s of plan.stacks) add(s.task, { id: s.on, why: 'overlap' });
    // Ended before this run began: their tips are known from the start.
    for (const e of earlier) {
      add(e.task, { id: e.on, why: 'dependency' });
      this.tips.set(e.on, e.commit);
      this.done.set(e.on, { title: e.title, filesChanged: e.filesChanged });
    }
  }

  ended(task: Task, result: AgentResult): void {
    const start = this.starts.get(task.id);
    const tip = result.status === 'succeeded' ? (result.commit ?? start) : start;
    if (tip) this.tips.set(task.id, tip);
    if (result.status === 'succeeded' && result.commit) {
      this.done.set(task.id, { title: result.title, filesChanged: result.filesChanged });
    }
  }

  /** Whether `task` starts from the run's base: it waits for no other task. */
  fromBase(task: Task): boolean {
    return !this.under.has(task.id);
  }

  /** Where `task` starts, from the tips of the tasks it waits for; `merge` joins several (see `foundationOf`). */
  async startOf(task: Task, merge?: (tips: Tip[]) => Promise<FoundationCommit | undefined>): Promise<Start> {
    const tips = (this.under.get(task.id) ?? []).flatMap(({ id }) => {
      const commit = this.tips.get(id);
      return commit ? [{ task: id, commit }] : [];
    });
    const found = tips.length && merge ? await merge(tips) : undefined;
    if (found && 'conflict' in found) {
      const {
        tasks: [a, b],
        files,
      } = found.conflict;
      const shown = files.slice(0, 5).join(', ') + (files.length > 5 ? ` and ${files.length - 5} more` : '');
      return {
        notStarted: `not started: the work of ${a} and ${b}, which it builds on, does not merge (${shown})`,
      };
    }
    this.starts.set(task.id, found?.commit);
    return found
      ? { options: { startPoint: found.commit }, buildsOn: this.buildsOn(task.id) }
      : { options: {}, buildsOn: [] };
  }

  /** The finished work a task starts from: what it waits for, nearest first, then what those built on in turn. */
  private buildsOn(id: string): Foundation[] {
    const seen = new Set<string>();
    const out: Foundation[] = [];
    const walk = (task: string, why?: Foundation['why']) => {
      for (const under of this.under.get(task) ?? []) {
        if (seen.has(under.id)) continue;
        seen.add(under.id);
        const done = this.done.get(under.id);
        if (done) out.push({ id: under.id, ...done, why: why ?? under.why });
        walk(under.id, why ?? under.why);
      }
    };
    walk(id);
    return out;
  }
}
