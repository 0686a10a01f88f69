import { describe, expect, it } from 'vitest';
import { nsArgv } from '../lib/proc';
import { containerArgv } from './containers';

describe('process placement', () => {
  it('joins the cgroup first, then enters the namespaces, then runs the command', () => {
    expect(nsArgv({ netns: '/run/netns/n1', mntns: '/run/lumen-lab/0/nodes/n1/mnt', cgroup: '/cg/n1/system' }, ['ip', 'route'])).toEqual([
      '/bin/sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', '/cg/n1/system',
      'nsenter', '--net=/run/netns/n1', '--mount=/run/lumen-lab/0/nodes/n1/mnt', '--', 'ip', 'route',
    ]);
    expect(nsArgv({ pid: 42, cgroup: '/cg/p/c' }, ['true']).slice(4)).toEqual(['nsenter', '--target=42', '--net', '--mount', '--uts', '--', 'true']);
  });

  it('starts a container in a new mount (and UTS) namespace with its binds before the command', () => {
    const argv = containerArgv({
      argv: ['client', 'idle'],
      env: {},
      workingDir: '/',
      hostname: 'web-1',
      binds: [{ src: '/pod/vol/cfg', dst: '/etc/cfg', readOnly: true }, { src: '/var/lib/lumen', dst: '/host', readOnly: false, create: 'dir' }],
      netns: '/run/netns/lumen-lab0-p-abc',
      mntns: '/run/lumen-lab/0/nodes/node-1/mnt',
      cgroup: '/cg/node-1/pods/podu/c',
      logFile: '/tmp/x.log',
    });
    const afterEnter = argv.slice(argv.indexOf('--') + 1);
    expect(afterEnter.slice(0, 6)).toEqual(['unshare', '--mount', '--propagation', 'slave', '--uts', '--']);
    const script = afterEnter.indexOf('-c');
    expect(afterEnter.slice(script + 2)).toEqual([
      'lab-container', 'web-1', '/',
      '/pod/vol/cfg', '/etc/cfg', 'ro', '-',
      '/var/lib/lumen', '/host', 'rw', 'dir',
      '--', 'client', 'idle',
    ]);
    expect(argv[3]).toBe('/cg/node-1/pods/podu/c');
  });

  it('keeps the node UTS namespace for hostNetwork pods', () => {
    const argv = containerArgv({ argv: ['x'], env: {}, workingDir: '/', binds: [], netns: '/run/netns/node', mntns: '/m', cgroup: '/cg', logFile: '/l' });
    expect(argv).not.toContain('--uts');
    expect(argv.slice(-5)).toEqual(['lab-container', '', '/', '--', 'x']);
  });
});
