import type { EventStream } from '../events.js';
import { costOf, priceOf, type PriceTable } from './pricing.js';

/**
 * Keeps the run's spend from the usage events and calls `onSpent` once it reaches `maxUsd`: from then on no agent
 * starts and the running ones stop. Returns a function that tells the spend so far.
 */
export function watchBudget(
  events: EventStream,
  options: { maxUsd?: number; prices: PriceTable; defaultModel: string; onSpent: () => void },
): () => number {
  const modelOf = new Map<string, string>();
  let spent = 0;
  let reached = false;
  events.on((event) => {
    if (event.type === 'started') modelOf.set(event.task, event.model);
    if (event.type !== 'usage') return;
    const model = modelOf.get(event.task) ?? options.defaultModel;
    spent += costOf(event.usage, priceOf(model, options.prices)) ?? 0;
    if (!reached && options.maxUsd !== undefined && spent >= options.maxUsd) {
      reached = true;
      options.onSpent();
    }
  });
  return () => spent;
}
