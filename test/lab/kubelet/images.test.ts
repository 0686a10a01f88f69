import { describe, expect, it } from 'vitest';
import { echoPortsFromSpec, imageKind, imageRepository, resolveImage, type ImageContext } from './images';

const ctx: ImageContext = { repoRoot: '/repo', node: '/usr/bin/node', binDir: '/run/lumen-lab/0/bin' };

describe('image table', () => {
  it('strips tags and digests to find the repository', () => {
    expect(imageRepository('lumen.dev/lab/echo:1')).toBe('lumen.dev/lab/echo');
    expect(imageRepository('registry:5000/a/lumen-agent:v1@sha256:abc')).toBe('registry:5000/a/lumen-agent');
    expect(imageRepository('registry:5000/a/lumen-agent')).toBe('registry:5000/a/lumen-agent');
  });

  it('maps the agent, echo and client images and nothing else', () => {
    expect(imageKind('ghcr.io/lumen/lumen-agent:0.1')).toBe('lumen-agent');
    expect(imageKind('lumen-agent')).toBe('lumen-agent');
    expect(imageKind('lumen.dev/lab/echo')).toBe('echo');
    expect(imageKind('lumen.dev/lab/client@sha256:00')).toBe('client');
    expect(imageKind('ghcr.io/lumen/not-lumen-agent:1')).toBeUndefined();
    expect(imageKind('lumen.dev/lab/echo-extra:1')).toBeUndefined();
    expect(imageKind('nginx')).toBeUndefined();
  });

  it('fails anything else like a failed pull, naming the image and the mapped ones', () => {
    const r = resolveImage({ name: 'c', image: 'busybox:1.36' }, ctx);
    expect(r).toMatchObject({ ok: false, reason: 'ErrImagePull' });
    expect(!r.ok && r.message).toMatch(/^Failed to pull image "busybox:1.36": .*lumen-agent.*lumen\.dev\/lab\/echo.*lumen\.dev\/lab\/client/);
    expect(resolveImage({ name: 'c', image: ' ' }, ctx)).toMatchObject({ ok: false, reason: 'InvalidImageName' });
  });

  it('runs the built agent under this Node with the container args, and says how to build it', () => {
    const r = resolveImage({ name: 'agent', image: 'x/lumen-agent:1', args: ['--config', '/etc/lumen'] }, ctx);
    expect(r).toMatchObject({ ok: true, kind: 'lumen-agent', argv: ['/usr/bin/node', '/repo/dist/agent/lumen-agent.mjs', '--config', '/etc/lumen'] });
    expect(r.ok && r.requiresFile?.hint).toContain('npm run build:agent');
    const named = resolveImage({ name: 'agent', image: 'lumen-agent', command: ['/usr/bin/lumen-agent', 'run'], args: ['-v'] }, ctx);
    expect(named.ok && named.argv).toEqual(['/usr/bin/node', '/repo/dist/agent/lumen-agent.mjs', 'run', '-v']);
  });

  it('combines entrypoint/cmd with command/args like a runtime', () => {
    expect(resolveImage({ name: 'c', image: 'lumen.dev/lab/client:1' }, ctx)).toMatchObject({ argv: ['/run/lumen-lab/0/bin/client', 'idle'] });
    expect(resolveImage({ name: 'c', image: 'lumen.dev/lab/client:1', args: ['tcp', '1.2.3.4', '80'] }, ctx)).toMatchObject({ argv: ['/run/lumen-lab/0/bin/client', 'tcp', '1.2.3.4', '80'] });
    expect(resolveImage({ name: 'c', image: 'lumen.dev/lab/client:1', command: ['sh', '-c'], args: ['exit 3'] }, ctx)).toMatchObject({ argv: ['sh', '-c', 'exit 3'] });
  });

  it('gives the echo server its declared ports', () => {
    const c = { name: 'e', image: 'lumen.dev/lab/echo:1', ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' as const }, { containerPort: 9, protocol: 'SCTP' as const }] };
    expect(echoPortsFromSpec(c)).toBe('8080,53/udp');
    expect(resolveImage(c, ctx)).toMatchObject({ env: { ECHO_PORTS: '8080,53/udp' } });
    expect(resolveImage({ name: 'e', image: 'lumen.dev/lab/echo:1' }, ctx)).toMatchObject({ env: {} });
  });
});
