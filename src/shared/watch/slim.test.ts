import { describe, expect, it } from 'vitest';
import { slimWatchEvent, withoutManagedFields } from './slim.js';

describe('withoutManagedFields', () => {
  it('drops metadata.managedFields and keeps everything else, without touching the input', () => {
    const pod = { kind: 'Pod', metadata: { name: 'a', namespace: 'n', labels: { x: '1' }, managedFields: [{ manager: 'kubectl' }] }, spec: { nodeName: 'n1' } };
    const slim = withoutManagedFields(pod);
    expect(slim).toEqual({ kind: 'Pod', metadata: { name: 'a', namespace: 'n', labels: { x: '1' } }, spec: { nodeName: 'n1' } });
    expect(pod.metadata.managedFields).toHaveLength(1);
  });

  it('returns an object without managedFields as it is', () => {
    const svc = { metadata: { name: 's' } };
    expect(withoutManagedFields(svc)).toBe(svc);
  });

  it('slims added/modified/deleted events and passes bookmarks and errors through', () => {
    const object = { metadata: { name: 'a', resourceVersion: '5', managedFields: [] } };
    expect(slimWatchEvent({ type: 'MODIFIED', object })).toEqual({ type: 'MODIFIED', object: { metadata: { name: 'a', resourceVersion: '5' } } });
    const bookmark = { type: 'BOOKMARK' as const, object: { metadata: { name: '', resourceVersion: '9', managedFields: [] } } };
    expect(slimWatchEvent(bookmark)).toBe(bookmark);
  });
});
