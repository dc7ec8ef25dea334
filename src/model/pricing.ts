import type { Usage } from '../result.js';

/** List prices in US dollars per million tokens. Cache writes cost 1.25× input, cache reads 0.1× input. */
export interface Price {
  input: number;
  output: number;
}

/** Models whose list price is known here. Dated ids (`claude-sonnet-4-5-20250929`) take their family's price. */
export const PRICES: Readonly<Record<string, Price>> = {
  'claude-opus-4-6': { input: 5, output: 25 },
  'claude-opus-4-5': { input: 5, output: 25 },
  'claude-opus-4-1': { input: 15, output: 75 },
  'claude-opus-4-0': { input: 15, output: 75 },
  'claude-sonnet-4-6': { input: 3, output: 15 },
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-sonnet-4-0': { input: 3, output: 15 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
};

export type PriceTable = Readonly<Record<string, Price>>;

/**
 * The price of `model` in `table`, by exact id or by the longest known id it starts with; undefined if unknown.
 * Only the table's own entries count: a model id such as `constructor` or `__proto__` must not find what every
 * object inherits.
 */
export function priceOf(model: string, table: PriceTable): Price | undefined {
  if (Object.hasOwn(table, model)) return table[model];
  const family = Object.keys(table)
    .filter((id) => model.startsWith(`${id}-`))
    .sort((a, b) => b.length - a.length)[0];
  return family === undefined ? undefined : table[family];
}

/**
 * Dollars for `usage` at `price`; null when the price is unknown or not a price (shown as unknown, never as $0).
 * A token count that is negative, not a finite number or past any real reply (a misbehaving endpoint) counts as
 * none, so one bad reply cannot make the run's spend negative, infinite or NaN.
 */
export function costOf(usage: Usage, price: Price | undefined): number | null {
  if (!price || !isAmount(price.input) || !isAmount(price.output)) return null;
  const perToken = 1 / 1_000_000;
  return (
    (tokens(usage.input) * price.input +
      tokens(usage.cacheWrite) * price.input * 1.25 +
      tokens(usage.cacheRead) * price.input * 0.1 +
      tokens(usage.output) * price.output) *
    perToken
  );
}

function isAmount(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}

/** Far more than any model's context: a count past it is an endpoint's error, not usage. */
const MAX_TOKENS = 1e9;

function tokens(n: unknown): number {
  return isAmount(n) && n <= MAX_TOKENS ? n : 0;
}
