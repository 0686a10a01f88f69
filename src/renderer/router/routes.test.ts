// Tests of hash route parsing and formatting.
import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute } from './routes.js';

describe('routes', () => {
  it('parses the connect view with and without a context', () => {
    expect(parseRoute('#/connect')).toEqual({ view: 'connect', context: null });
    expect(parseRoute('#/connect?context=kind-lab')).toEqual({ view: 'connect', context: 'kind-lab' });
    expect(parseRoute('#/connect?context=arn%3Aaws%3Aeks%2Fprod')).toEqual({ view: 'connect', context: 'arn:aws:eks/prod' });
  });

  it('falls back to connect for empty, unknown or token-only hashes', () => {
    expect(parseRoute('')).toEqual({ view: 'connect', context: null });
    expect(parseRoute('#/flows?context=x')).toEqual({ view: 'connect', context: 'x' });
    expect(parseRoute('#token=abc')).toEqual({ view: 'connect', context: null });
  });

  it('round-trips contexts with characters that need escaping', () => {
    for (const context of ['a b', 'gke_proj_zone_name', 'x&y=z', 'ünï']) {
      expect(parseRoute(formatRoute({ view: 'connect', context }))).toEqual({ view: 'connect', context });
    }
    expect(formatRoute({ view: 'connect', context: null })).toBe('#/connect');
  });
});
