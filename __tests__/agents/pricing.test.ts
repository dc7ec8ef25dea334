import { PRICES, costOf, priceOf } from '../../src/agents/pricing.js';

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
});
