import type { AgentResult } from './agents/result.js';
import type { FailOn } from './settings.js';
import { totalCost } from './report/summary.js';
import type { Timing } from './report/timing.js';

/** The step's outputs, by name, as strings. */
export function runOutputs(results: AgentResult[], timing: Timing): Record<string, string> {
  const succeeded = results.filter((r) => r.status === 'succeeded').length;
  const cost = totalCost(results);
  return {
    results: JSON.stringify(results),
    succeeded: String(succeeded),
    failed: String(results.length - succeeded),
    'wall-seconds': timing.wallSeconds.toFixed(3),
    'sequential-seconds': timing.sequentialSeconds.toFixed(3),
    speedup: timing.speedup === null ? '' : timing.speedup.toFixed(2),
    // Empty when a model's price is unknown: a guess would be worse than nothing.
    'cost-usd': cost === null ? '' : cost.toFixed(4),
  };
}

/** Why the step fails under `fail-on`, or null when it passes. */
export function failureReason(results: AgentResult[], failOn: FailOn): string | null {
  const failed = results.filter((r) => r.status !== 'succeeded');
  const fails =
    failOn === 'any' ? failed.length > 0 : failOn === 'all' ? failed.length === results.length : false;
  if (!fails || !failed.length) return null;
  const which = failed.map((r) => `${r.id} ${r.status}`).join(', ');
  return `${failed.length} of ${results.length} agents did not succeed (${which}); fail-on: ${failOn}`;
}
