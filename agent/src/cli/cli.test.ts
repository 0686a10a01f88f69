// `lumen` against a real agent API on a unix socket: every command's table and JSON, usage errors and exit codes, observe with filters and --follow, and the real entry point as a process.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentApi, type AgentApi } from '../api/server.js';
import { StaticAgentView } from '../api/testing.js';
import { FlowPipeline } from '../flows/pipeline.js';
import { rawEvent, testLookups, testNames } from '../flows/testing.js';
import { AgentMetrics } from '../metrics/agent.js';
import { parseArgs, UsageError } from './args.js';
import { runCli } from './main.js';

let dir: string;
let socket: string;
let api: AgentApi;
const view = new StaticAgentView();
const pipeline = new FlowPipeline({ lookups: testLookups, names: testNames, bufferSize: 32, decode: () => rawEvent(), log: () => {} });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lumen-cli-test-'));
  socket = join(dir, 'lumen.sock');
  api = await startAgentApi({ view, flows: pipeline.store, metrics: new AgentMetrics(), startedAt: Date.now(), log: () => {}, socketPath: socket });
});
afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function lumen(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli([...argv, '--socket', socket], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('args', () => {
  it('parses flags, aliases, = forms and positionals', () => {
    const a = parseArgs(['service', 'get', '2', '-o', 'json', '--server=https://x:1', '--insecure', '--', '--not-a-flag'], { booleans: new Set(['insecure']), aliases: { o: 'output' } });
    expect(a.positionals).toEqual(['service', 'get', '2', '--not-a-flag']);
    expect(Object.fromEntries(a.flags)).toEqual({ output: ['json'], server: ['https://x:1'], insecure: ['true'] });
    expect(() => parseArgs(['--token'], { booleans: new Set(), aliases: {} })).toThrow(UsageError);
    expect(() => parseArgs(['-x'], { booleans: new Set(), aliases: {} })).toThrow(/unknown option -x/);
  });
});

describe('commands', () => {
  it('status', async () => {
    const r = await lumen('status');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Node: +node-a$/m);
    expect(r.out).toMatch(/KubeProxyReplacement: +True \[socket LB: on, NodePort: on, uplinks: eth0\]/);
    expect(r.out).toMatch(/lumen_services +12 +65536 +0\.0%/);
    expect(JSON.parse((await lumen('status', '-o', 'json')).out).node).toBe('node-a');
  });

  it('service list numbers backends and flags drift', async () => {
    const r = await lumen('service', 'list');
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^ID +Frontend +Service Type +Service +Backend$/);
    expect(r.out).toMatch(/^2 +10\.97\.0\.10:80\/TCP +ClusterIP +prod\/web:http +1 => 10\.201\.1\.9:8080\/TCP \(active\)$/m);
    expect(r.out).toMatch(/^ +2 => 10\.201\.2\.4:8080\/TCP \(terminating\)$/m);
    expect(r.out).toMatch(/^3 +172\.28\.1\.11:30080\/TCP +NodePort .*\(active, desired\)\n +! not programmed in the maps$/m);
  });

  it('service get -o json|yaml gives spec, realized and drift', async () => {
    const j = JSON.parse((await lumen('service', 'get', '2', '-o', 'json')).out);
    expect(j.desired.service).toEqual({ namespace: 'prod', name: 'web' });
    expect(j.realized.backends).toHaveLength(2);
    expect(j.drift).toEqual([]);
    const y = parseYaml((await lumen('service', 'get', '3', '-o', 'yaml')).out);
    expect(y.drift).toEqual([{ kind: 'not-programmed' }]);
    expect((await lumen('service', 'get', '2')).out).toMatch(/Affinity: +ClientIP, 10800 s/);
    const missing = await lumen('service', 'get', '42');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/HTTP 404: no service with id 42/);
    expect((await lumen('service', 'get', 'web')).code).toBe(2);
  });

  it('bpf lb list and delete', async () => {
    const list = await lumen('bpf', 'lb', 'list');
    expect(list.out.split('\n')[0]).toMatch(/^SERVICE ADDRESS +SLOT +BACKEND ADDRESS +BACKEND ID +REVNAT ID$/);
    expect(list.out).toMatch(/^10\.97\.0\.10:80\/TCP +0 +\(frontend: 2 backends, ClusterIP\)/m);
    expect(list.out).toMatch(/^ +2 +10\.201\.2\.4:8080 +3 terminating +2$/m);
    expect(list.out).not.toMatch(/30080/); // not programmed → not in the maps
    const del = await lumen('bpf', 'lb', 'delete', '10.97.0.10:80', '10.201.2.4:8080');
    expect(del).toMatchObject({ code: 0 });
    expect(del.out).toMatch(/Removed backend 10\.201\.2\.4:8080 from 10\.97\.0\.10:80\/TCP \(1 left\)/);
    expect((await lumen('service', 'list')).out).toMatch(/! backend 10\.201\.2\.4:8080 missing from the maps/);
    const bad = await lumen('bpf', 'lb', 'delete', '10.97.0.10', '10.201.2.4:8080');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/invalid frontend "10\.97\.0\.10"/);
  });

  it('endpoint list, identity list, policy get', async () => {
    const ep = await lumen('endpoint', 'list');
    expect(ep.out.split('\n').slice(0, 2).join('\n')).toMatch(/^ENDPOINT +POLICY \(ingress\) +POLICY \(egress\) +IDENTITY +LABELS \(key=value\) +POD +IPv4 +STATUS\n +ENFORCEMENT +ENFORCEMENT$/);
    expect(ep.out).toMatch(/^12 +Enabled +Disabled +301 +app=web +prod\/web-1 +10\.201\.1\.9 +ready$/m);
    expect(ep.out).toMatch(/^ +ns:kubernetes\.io\/metadata\.name=prod$/m);
    const ids = await lumen('identity', 'list');
    expect(ids.out).toMatch(/^2 +reserved +0 +reserved:world$/m);
    expect(ids.out).toMatch(/^ +\(anything outside the cluster\)$/m);
    const pol = await lumen('policy', 'get', 'prod/web-1');
    expect(pol.out).toMatch(/^Ingress: enforcement enabled; selected by prod\/allow-shop$/m);
    expect(pol.out).toMatch(/allow +300 \(app=client\) +TCP +8080 +prod\/allow-shop ingress rule 0 \(id 7\)/);
    expect(pol.out).toMatch(/^Egress: enforcement disabled; not selected by any policy$/m);
    expect((await lumen('policy', 'get', 'Nope!')).code).toBe(2);
  });

  it('observe: recent flows with filters as flags or text, JSON lines, and --follow until aborted', async () => {
    pipeline.ingestEvents([rawEvent({ dport: 80 }), rawEvent({ dport: 81, verdict: 2, drop_reason: 1 })]);
    const r = await lumen('observe', '--verdict', 'DROPPED');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    expect(r.out).toMatch(/node-a +to-endpoint +shop\/client-1:40000 -> prod\/web-1:81 TCP SYN DROPPED \(policy denied\) — denied: ingress, selected by prod\/default-deny/);
    const j = await lumen('observe', 'to-port:80', '-o', 'json');
    expect(j.out.trim().split('\n').map((l) => JSON.parse(l).destination.port)).toEqual([80]);
    const bad = await lumen('observe', '--to-port', 'http');
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.err).toMatch(/invalid flow filter "to-port:http"/);
    expect((await lumen('observe', '--bogus', '1')).err).toMatch(/unknown flag --bogus/);

    const ac = new AbortController();
    let out = '';
    const running = runCli(['observe', '-f', '--to-port', '90', '--socket', socket], {
      out: (t) => {
        out += t;
        ac.abort();
      },
      err: () => {},
      signal: ac.signal,
    });
    while (pipeline.store.followers === 0) await new Promise((res) => setTimeout(res, 10));
    pipeline.ingestEvents([rawEvent({ dport: 91 }), rawEvent({ dport: 90 })]);
    expect(await running).toBe(0);
    expect(out).toMatch(/prod\/web-1:90 TCP SYN FORWARDED/);
    expect(out).not.toMatch(/:91 /);
  });

  it('usage errors exit 2 and name the problem', async () => {
    expect((await lumen('frobnicate')).err).toMatch(/unknown command "frobnicate"/);
    expect((await lumen('status', '-o', 'yaml')).err).toMatch(/-o yaml: expected json/);
    expect((await lumen('service', 'list', '--server', 'https://127.0.0.1:1')).err).toMatch(/--server needs --token/);
    const noAgent = await runCli(['status', '--socket', join(dir, 'none.sock')], { out: () => {}, err: (t) => expect(t).toMatch(/is the agent running/) });
    expect(noAgent).toBe(1);
  });
});

describe('entry point', () => {
  it('runs as a program: help, a command, exit codes', async () => {
    const run = promisify(execFile);
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const main = join(process.cwd(), 'agent', 'src', 'cli', 'main.ts');
    const help = await run(tsx, [main, '--help']);
    expect(help.stdout).toMatch(/Usage: lumen <command>/);
    const ok = await run(tsx, [main, 'identity', 'list', '-o', 'json', '--socket', socket]);
    expect(JSON.parse(ok.stdout).map((i: { id: number }) => i.id)).toEqual([1, 2, 300, 301, 16777216]);
    await expect(run(tsx, [main, 'nope'])).rejects.toMatchObject({ code: 2 });
  }, 30_000);
});
