// Builds (or reuses) the lab's control-plane binaries from test/lab/controlplane/go.mod:
// kube-apiserver, kube-controller-manager, kube-scheduler and etcd, cached by content.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { consoleLog, run, tagged, type Log } from './lib/proc';

const moduleDir = join(dirname(fileURLToPath(import.meta.url)), 'controlplane');

export const CONTROL_PLANE_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;
export type ControlPlaneBinary = (typeof CONTROL_PLANE_BINARIES)[number];

const PACKAGES = [
  'k8s.io/kubernetes/cmd/kube-apiserver',
  'k8s.io/kubernetes/cmd/kube-controller-manager',
  'k8s.io/kubernetes/cmd/kube-scheduler',
  'go.etcd.io/etcd/server/v3',
];

export interface ControlPlaneManifest {
  kubernetesVersion: string;
  etcdVersion: string;
  apiserverVersionOutput: string;
  etcdVersionOutput: string;
  goVersion: string;
  ldflags: string;
  builtAt: string;
  buildSeconds: number;
}

export interface ControlPlane {
  binDir: string;
  bin: Record<ControlPlaneBinary, string>;
  manifest: ControlPlaneManifest;
  /** True when this call compiled the binaries, false when they came from the cache. */
  built: boolean;
}

/** The k8s.io/kubernetes version the go.mod requires, e.g. v1.36.3. */
export function requiredKubernetesVersion(goMod: string): string {
  const m = /^\s*k8s\.io\/kubernetes\s+(v\d+\.\d+\.\d+\S*)/m.exec(goMod);
  if (!m?.[1]) throw new Error(`${join(moduleDir, 'go.mod')}: no "k8s.io/kubernetes vX.Y.Z" requirement found`);
  return m[1];
}

/** The version ldflags Kubernetes' own build sets, so /version reports the real release. */
export function versionLdflags(version: string): string {
  const m = /^v(\d+)\.(\d+)\./.exec(version);
  if (!m) throw new Error(`not a Kubernetes release version: ${version}`);
  const vars: Record<string, string> = {
    gitVersion: version,
    gitMajor: m[1]!,
    gitMinor: m[2]!,
    gitTreeState: 'clean',
    gitCommit: '',
    buildDate: '1970-01-01T00:00:00Z',
  };
  const flags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    for (const [k, v] of Object.entries(vars)) flags.push(`-X ${pkg}.${k}=${v}`);
  }
  return flags.join(' ');
}

export function cacheRoot(): string {
  return process.env.LUMEN_LAB_CACHE ?? join(homedir(), '.cache', 'lumen', 'lab');
}

/** Returns the control-plane binaries, building them first when the cache lacks them. */
export async function ensureControlPlane(opts: { log?: Log; force?: boolean } = {}): Promise<ControlPlane> {
  const log = tagged(opts.log ?? consoleLog, 'build');
  const goMod = readFileSync(join(moduleDir, 'go.mod'), 'utf8');
  const goSum = readFileSync(join(moduleDir, 'go.sum'), 'utf8');
  const version = requiredKubernetesVersion(goMod);
  const ldflags = versionLdflags(version);
  const key = createHash('sha256').update(goMod).update('\0').update(goSum).update('\0').update(ldflags).digest('hex').slice(0, 24);
  const root = join(cacheRoot(), key);
  const binDir = join(root, 'bin');
  const manifestPath = join(root, 'manifest.json');
  const bin = Object.fromEntries(CONTROL_PLANE_BINARIES.map((b) => [b, join(binDir, b)])) as Record<ControlPlaneBinary, string>;

  if (!opts.force && existsSync(manifestPath) && CONTROL_PLANE_BINARIES.every((b) => existsSync(bin[b]))) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ControlPlaneManifest;
    log(`reusing cached control plane ${manifest.kubernetesVersion} / etcd ${manifest.etcdVersion} (${binDir})`);
    return { binDir, bin, manifest, built: false };
  }

  await checkGo();
  const t0 = Date.now();
  const staging = `${root}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'bin'), { recursive: true });
  log(`building kube-apiserver, kube-controller-manager, kube-scheduler ${version} and etcd into ${binDir} (cold: ~5 min on 2 cores)`);
  try {
    await goBuild(join(staging, 'bin'), ldflags, log, t0);
    // go names a main package after its last path element without the /vN suffix.
    renameSync(join(staging, 'bin', 'server'), join(staging, 'bin', 'etcd'));
    const apiserverVersionOutput = (await run([join(staging, 'bin', 'kube-apiserver'), '--version'])).stdout.trim();
    const etcdVersionOutput = (await run([join(staging, 'bin', 'etcd'), '--version'])).stdout.trim();
    const kubernetesVersion = apiserverVersionOutput.replace(/^Kubernetes\s+/, '');
    if (kubernetesVersion !== version) {
      throw new Error(`kube-apiserver --version says "${apiserverVersionOutput}", expected ${version}: the version ldflags did not apply`);
    }
    const etcdVersion = /etcd Version:\s*(\S+)/.exec(etcdVersionOutput)?.[1] ?? 'unknown';
    const goVersion = (await run(['go', 'env', 'GOVERSION'])).stdout.trim();
    const manifest: ControlPlaneManifest = {
      kubernetesVersion,
      etcdVersion,
      apiserverVersionOutput,
      etcdVersionOutput,
      goVersion,
      ldflags,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - t0) / 100) / 10,
    };
    writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(root, { recursive: true, force: true });
    renameSync(staging, root);
    log(`built ${kubernetesVersion} + etcd ${etcdVersion} with ${goVersion} in ${manifest.buildSeconds} s`);
    return { binDir, bin, manifest, built: true };
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`building the lab control plane failed (module ${moduleDir})`, { cause: e });
  }
}

async function checkGo(): Promise<void> {
  try {
    await run(['go', 'version']);
  } catch (e) {
    throw new Error('the lab builds its control plane with Go (1.26+), but `go` is not on PATH: install Go from https://go.dev/dl and retry', { cause: e });
  }
}

function goBuild(outDir: string, ldflags: string, log: Log, t0: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['build', '-v', '-p', '2', '-o', `${outDir}/`, '-ldflags', ldflags, ...PACKAGES];
    const child = spawn('go', args, { cwd: moduleDir, env: { ...process.env, CGO_ENABLED: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let packages = 0;
    let tail = '';
    const errors: string[] = [];
    const progress = setInterval(() => log(`… ${packages} packages compiled, ${Math.round((Date.now() - t0) / 1000)} s`), 10_000);
    const onData = (b: Buffer): void => {
      tail += b.toString();
      const lines = tail.split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) {
        // `go build -v` prints one import path per compiled package; anything else is a diagnostic.
        if (/^[\w.-]+(\/[\w.~+-]+)*$/.test(line.trim())) packages++;
        else if (line.trim()) errors.push(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => {
      clearInterval(progress);
      reject(new Error(`cannot run go: ${e.message}`, { cause: e }));
    });
    child.on('close', (code) => {
      clearInterval(progress);
      log(`go build finished: ${packages} packages compiled in ${Math.round((Date.now() - t0) / 1000)} s`);
      if (code === 0) resolve();
      else reject(new Error(`go ${args.slice(0, 4).join(' ')} … exited ${code}:\n${errors.slice(-20).join('\n')}`));
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes('--force');
  ensureControlPlane({ force }).then(
    (cp) => {
      process.stdout.write(`${JSON.stringify({ binDir: cp.binDir, built: cp.built, ...cp.manifest }, null, 2)}\n`);
    },
    (e: unknown) => {
      consoleLog(`[lab:build] ${e instanceof Error ? e.message : String(e)}`);
      if (e instanceof Error && e.cause instanceof Error) consoleLog(`[lab:build] cause: ${e.cause.message}`);
      process.exit(1);
    },
  );
}
