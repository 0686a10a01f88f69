// Tests of review YAML and diffs: redaction, server fields stripped, unified hunks with correct headers.
import { describe, expect, it } from 'vitest';
import { comparable, diffText, pruneTo, redactSecret, sortKeys, toYaml, unifiedDiff } from './diff.js';

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toEqual([]);
  });

  it('marks one changed line with context and a correct header', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].join('\n');
    const after = ['a', 'b', 'c', 'd', 'X', 'f', 'g', 'h'].join('\n');
    expect(diffText(unifiedDiff(before, after, 2))).toBe(['@@ -3,5 +3,5 @@', ' c', ' d', '-e', '+X', ' f', ' g'].join('\n'));
  });

  it('splits far-apart changes into two hunks and counts added lines', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const after = [...before];
    after.splice(2, 0, 'new');
    after[18] = 'changed';
    const d = unifiedDiff(before.join('\n'), after.join('\n'), 1);
    expect(d.filter((l) => l.op === '@').map((l) => l.text)).toEqual(['@@ -2,2 +2,3 @@', '@@ -17,3 +18,3 @@']);
    expect(d.filter((l) => l.op === '+').map((l) => l.text)).toEqual(['new', 'changed']);
    expect(d.filter((l) => l.op === '-').map((l) => l.text)).toEqual(['l17']);
  });

  it('handles a text that became empty', () => {
    const d = unifiedDiff('a\nb', '');
    expect(d[0]).toEqual({ op: '@', text: '@@ -1,2 +1,1 @@' });
    expect(d.filter((l) => l.op === '-')).toHaveLength(2);
  });
});

describe('secrets and server fields', () => {
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { token: Buffer.from('super-secret-token').toString('base64') } };

  it('never prints a Secret value', () => {
    expect(toYaml(redactSecret(secret, 'length'))).not.toContain(secret.data.token);
    expect(redactSecret(secret, 'length').data).toEqual({ token: '<redacted: 18 bytes>' });
    const a = redactSecret(secret, 'hash').data as Record<string, string>;
    const b = redactSecret({ ...secret, data: { token: Buffer.from('other').toString('base64') } }, 'hash').data as Record<string, string>;
    expect(a.token).toMatch(/^<redacted: sha256 [0-9a-f]{12}>$/);
    expect(a.token).not.toBe(b.token);
  });

  it('drops status, managed fields and server metadata', () => {
    const live = {
      kind: 'ConfigMap', metadata: { name: 'c', resourceVersion: '5', uid: 'u', managedFields: [{}], creationTimestamp: 't', annotations: { 'deprecated.daemonset.template.generation': '2' } },
      data: { a: '1' }, status: { x: 1 },
    };
    expect(comparable(live)).toEqual({ kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
  });

  it('prunes a live object to the fields the rendered one has, and sorts keys', () => {
    expect(pruneTo({ a: 1, b: { c: 2, d: 3 }, e: [{ f: 1, g: 2 }] }, { b: { c: 0 }, e: [{ g: 0 }] })).toEqual({ b: { c: 2 }, e: [{ g: 2 }] });
    expect(Object.keys(sortKeys({ b: 1, a: { d: 1, c: 2 } }) as object)).toEqual(['a', 'b']);
  });
});
