// Tests of the reconnect backoff: growth, cap, jitter bounds and policy validation.
import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('grows by the factor up to the cap and starts over after reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.failures).toBe(6);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('keeps jittered delays within [d*(1-jitter), d]', () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 1000, factor: 2, jitter: 0.5 }, () => 0.999999);
    const high = new Backoff({ initialMs: 1000, maxMs: 1000, factor: 2, jitter: 0.5 }, () => 0);
    expect(low.next()).toBe(500);
    expect(high.next()).toBe(1000);
    const random = new Backoff({ initialMs: 1000, maxMs: 1000, factor: 2, jitter: 0.3 });
    for (let i = 0; i < 200; i++) {
      const d = random.next();
      expect(d).toBeGreaterThanOrEqual(700);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });

  it('rejects a policy that cannot work, naming it', () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 10, factor: 2, jitter: 0 })).toThrow(/initialMs/);
    expect(() => new Backoff({ initialMs: 10, maxMs: 5, factor: 2, jitter: 0 })).toThrow(/maxMs/);
    expect(() => new Backoff({ initialMs: 10, maxMs: 50, factor: 2, jitter: 2 })).toThrow(/jitter 2/);
  });
});
