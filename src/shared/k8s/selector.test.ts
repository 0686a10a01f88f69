// Label selector validation (paths and messages as the API server gives them) and matching.
import { describe, expect, it } from 'vitest';
import { compileSelector, SelectorError, selectorMatches, selectorToString, validateLabelSelector } from './selector.js';
import type { LabelSelector } from './types.js';
import { labelKeyProblems, labelValueProblems, portNameProblems } from './validation.js';

describe('label formats', () => {
  it.each([
    ['app', true],
    ['app.kubernetes.io/name', true],
    ['A_b.c-d', true],
    ['kubernetes.io/metadata.name', true],
    ['', false],
    ['-app', false],
    ['app-', false],
    ['a/b/c', false],
    ['/name', false],
    ['Upper.Case/name', false],
    ['x'.repeat(64), false],
    ['x'.repeat(63), true],
    [`${'a'.repeat(254)}/n`, false],
    ['ns:app', false],
  ])('label key %j valid=%s', (key, valid) => {
    expect(labelKeyProblems(key).length === 0).toBe(valid);
  });

  it.each([
    ['', true],
    ['web', true],
    ['v1.2_3-x', true],
    ['-x', false],
    ['x y', false],
    ['x'.repeat(64), false],
  ])('label value %j valid=%s', (value, valid) => {
    expect(labelValueProblems(value).length === 0).toBe(valid);
  });

  it.each([
    ['http', true],
    ['http-alt', true],
    ['h2c', true],
    ['8080', false],
    ['HTTP', false],
    ['a--b', false],
    ['-http', false],
    ['sixteen-chars-xx', false],
  ])('port name %j valid=%s', (name, valid) => {
    expect(portNameProblems(name).length === 0).toBe(valid);
  });
});

describe('validateLabelSelector', () => {
  it('accepts a well-formed selector', () => {
    const sel: LabelSelector = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    };
    expect(validateLabelSelector(sel, 'spec.podSelector')).toEqual([]);
  });

  it('names each bad field by path', () => {
    const sel = {
      matchLabels: { 'bad key!': 'ok', good: 'bad value!' },
      matchExpressions: [
        { key: 'a', operator: 'In' },
        { key: 'b', operator: 'Exists', values: ['x'] },
        { key: 'c', operator: 'Equals', values: ['x'] },
        { key: 'd', operator: 'NotIn', values: ['ok', 'not ok'] },
      ],
    } as LabelSelector;
    const paths = validateLabelSelector(sel, 'spec.podSelector').map((p) => `${p.path}: ${p.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^spec\.podSelector\.matchLabels\[bad key!\]: name part must consist/),
        expect.stringMatching(/^spec\.podSelector\.matchLabels\[good\]: a valid label must be/),
        "spec.podSelector.matchExpressions[0].values: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.podSelector.matchExpressions[1].values: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        'spec.podSelector.matchExpressions[2].operator: not a valid selector operator',
        expect.stringMatching(/^spec\.podSelector\.matchExpressions\[3\]\.values\[1\]: a valid label/),
      ]),
    );
    expect(paths).toHaveLength(6);
  });
});

describe('matching', () => {
  const labels = { app: 'web', tier: 'front', constructor: 'x' };
  it.each<[string, LabelSelector | undefined, boolean]>([
    ['absent selector', undefined, true],
    ['empty selector', {}, true],
    ['matchLabels hit', { matchLabels: { app: 'web' } }, true],
    ['matchLabels miss', { matchLabels: { app: 'db' } }, false],
    ['matchLabels empty value needs the key', { matchLabels: { missing: '' } }, false],
    ['In hit', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back', 'front'] }] }, true],
    ['In absent key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, false],
    ['NotIn absent key matches', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['NotIn present value', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    ['Exists on prototype name', { matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, false],
    ['own key named constructor', { matchLabels: { constructor: 'x' } }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    ['AND of all', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, false],
  ])('%s', (_name, selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });

  it('throws a SelectorError with the field path for an unknown operator', () => {
    const bad = { matchExpressions: [{ key: 'a', operator: 'Like', values: ['x'] }] };
    expect(() => compileSelector(bad, 'spec.podSelector')).toThrow(SelectorError);
    expect(() => compileSelector(bad, 'spec.podSelector')).toThrow(/spec\.podSelector\.matchExpressions\[0\]\.operator/);
  });

  it('renders kubectl-style text', () => {
    expect(selectorToString({})).toBe('<all>');
    expect(
      selectorToString({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 't', operator: 'In', values: ['b', 'a'] },
          { key: 'u', operator: 'NotIn', values: ['x'] },
          { key: 'v', operator: 'Exists' },
          { key: 'w', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=web,t in (a,b),u!=x,v,!w');
  });
});
