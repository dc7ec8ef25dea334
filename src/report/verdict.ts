import { verdictOf, type AgentResult, type Verdict } from '../result.js';
import { resultsOf, type RunState } from '../run-state.js';

/** How each verdict reads. Results merged from other shards may carry any string. */
const DISPLAY: Record<string, { icon: string; label: string }> = {
  succeeded: { icon: '✅', label: 'succeeded' },
  partial: { icon: '🟡', label: 'partial' },
  blocked: { icon: '🚧', label: 'blocked' },
  failed: { icon: '❌', label: 'failed' },
  'failed-verification': { icon: '❌', label: 'failed verification' },
  'turn-limit': { icon: '⏹️', label: 'turn limit' },
  timeout: { icon: '⏱️', label: 'timed out' },
  cancelled: { icon: '🚫', label: 'cancelled' },
  skipped: { icon: '⏭️', label: 'skipped' },
  budget: { icon: '💰', label: 'budget reached' },
  missing: { icon: '❓', label: 'missing' },
} satisfies Record<Verdict, { icon: string; label: string }>;

export function statusDisplay(status: string): { icon: string; label: string } {
  return DISPLAY[status] ?? { icon: '❔', label: status.replace(/[^\w -]/g, '') || 'unknown' };
}

/** `✅ succeeded`, `🟡 partial`, `❌ failed`… for a status or a verdict. */
export function statusCell(status: string): string {
  const { icon, label } = statusDisplay(status);
  return `${icon} ${label}`;
}

/** A result's cell: its verdict, so an agent that did part of its task never reads as succeeded. */
export function verdictCell(result: Pick<AgentResult, 'status' | 'agentReport'>): string {
  return statusCell(verdictOf(result));
}

/** Tasks by verdict, and pull requests GitHub would not open: what every headline and count reads. */
export interface Tally {
  total: number;
  /** Count by verdict, in the order first met. */
  verdicts: Map<Verdict, number>;
  /** Tasks whose pushed branch has no pull request because GitHub refused it. */
  notOpened: number;
}

export function tallyOf(state: RunState): Tally {
  const verdicts = new Map<Verdict, number>();
  let notOpened = 0;
  for (const result of resultsOf(state)) {
    const verdict = verdictOf(result);
    verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
    if (result.pullRequestNotOpened && !result.pullRequest) notOpened += 1;
  }
  return { total: state.tasks.length, verdicts, notOpened };
}

/**
 * The ended run in one line, the same in the summary and the comment: `⚠️ parallel-agents: 2/4 tasks succeeded ·
 * 1 partial · 1 failed · 1 pull request not opened`. ✅ only when every task succeeded, every pull request could be
 * opened and the work passes together.
 */
export function runHeadline(state: RunState): string {
  const { total, verdicts, notOpened } = tallyOf(state);
  const succeeded = verdicts.get('succeeded') ?? 0;
  const rest = [...verdicts]
    .filter(([verdict]) => verdict !== 'succeeded')
    .map(([verdict, n]) => ` · ${n} ${statusDisplay(verdict).label}`);
  if (notOpened)
    rest.push(` · ${notOpened} ${notOpened === 1 ? 'pull request' : 'pull requests'} not opened`);
  const tally = `${succeeded}/${total} ${total === 1 ? 'task' : 'tasks'} succeeded${rest.join('')}`;
  if (state.stopping) {
    const icon = state.stopping.reason === 'cancelled' ? '🚫' : '💰';
    return `${icon} parallel-agents ${stopWords(state.stopping.reason)}: ${tally}`;
  }
  const clean = succeeded === total && notOpened === 0 && state.together?.passed !== false;
  const icon = clean ? '✅' : succeeded === 0 && !verdicts.get('partial') ? '❌' : '⚠️';
  return `${icon} parallel-agents: ${tally}`;
}

export function stopWords(reason: string): string {
  return reason === 'cancelled' ? 'cancelled' : 'stopped at the budget (`max-cost-usd`)';
}
