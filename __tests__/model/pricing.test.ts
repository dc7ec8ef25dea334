import { PRICES, costOf, priceOf } from '../../src/model/pricing.js';

describe('pricing', () => {
  it('prices dated model ids by their family', () => {
    expect(priceOf('claude-sonnet-4-5-20250929', PRICES)).toEqual({ input: 3, output: 15 });
    expect(priceOf('claude-sonnet-4-6', PRICES)).toEqual({ input: 3, output: 15 });
    expect(priceOf('claude-opus-4-1-20250805', PRICES)).toEqual({ input: 15, output: 75 });
  });

  it('knows no price for a model it has never heard of', () => {
    expect(priceOf('claude-sonnet-9', PRICES)).toBeUndefined();
    expect(costOf({ input: 10, output: 10, cacheWrite: 0, cacheRead: 0 }, undefined)).toBeNull();
  });

  it('charges cache writes at 1.25× and cache reads at 0.1× the input price', () => {
    const price = { input: 3, output: 15 };
    expect(costOf({ input: 1_000_000, output: 0, cacheWrite: 0, cacheRead: 0 }, price)).toBeCloseTo(3);
    expect(costOf({ input: 0, output: 0, cacheWrite: 1_000_000, cacheRead: 0 }, price)).toBeCloseTo(3.75);
    expect(costOf({ input: 0, output: 0, cacheWrite: 0, cacheRead: 1_000_000 }, price)).toBeCloseTo(0.3);
    expect(costOf({ input: 0, output: 2_000_000, cacheWrite: 0, cacheRead: 0 }, price)).toBeCloseTo(30);
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'constructor-2025'])(
    'knows no price for a model named like an object property (%s)',
    (model) => {
      expect(priceOf(model, PRICES)).toBeUndefined();
      expect(
        costOf({ input: 1_000, output: 1_000, cacheWrite: 0, cacheRead: 0 }, priceOf(model, PRICES)),
      ).toBeNull();
    },
  );

  it('finds a price given for a model named like an object property', () => {
    // As the `pricing` input parses it: JSON.parse makes `__proto__` an ordinary key.
    const table = {
      ...PRICES,
      ...(JSON.parse('{"__proto__":{"input":1,"output":2},"constructor":{"input":3,"output":4}}') as object),
    };
    expect(priceOf('__proto__', table)).toEqual({ input: 1, output: 2 });
    expect(priceOf('constructor', table)).toEqual({ input: 3, output: 4 });
    expect(priceOf('constructor-20250101', table)).toEqual({ input: 3, output: 4 });
  });

  it('counts negative, infinite and NaN token counts as none', () => {
    const price = { input: 3, output: 15 };
    const cost = (usage: Partial<Record<'input' | 'output' | 'cacheWrite' | 'cacheRead', number>>) =>
      costOf({ input: 0, output: 0, cacheWrite: 0, cacheRead: 0, ...usage }, price);
    expect(cost({ input: -1_000_000 })).toBe(0);
    expect(cost({ output: Number.POSITIVE_INFINITY })).toBe(0);
    expect(cost({ cacheRead: Number.NaN, input: 1_000_000 })).toBeCloseTo(3);
    expect(cost({ cacheWrite: Number.NEGATIVE_INFINITY, output: 1_000_000 })).toBeCloseTo(15);
  });

  it('counts a finite count past any real reply as none, so the total stays finite', () => {
    const usage = { input: Number.MAX_VALUE, output: 1e300, cacheWrite: 1e200, cacheRead: 1_000_000 };
    const cost = costOf(usage, { input: 3, output: 15 });
    expect(cost).toBeCloseTo(0.3);
    expect(Number.isFinite(cost)).toBe(true);
  });

  it('knows no cost at a price that is not a price', () => {
    const usage = { input: 1, output: 1, cacheWrite: 0, cacheRead: 0 };
    expect(costOf(usage, { input: Number.NaN, output: 1 })).toBeNull();
    expect(costOf(usage, { input: 1, output: -1 })).toBeNull();
  });
});
