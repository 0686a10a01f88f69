// `npm run lab`: builds or reuses the control plane, starts a lab and keeps it up until
// Ctrl+C. `--nodes N`, `--instance N`, `--down [--instance N] [--force]`, `--timing`.
import { ensureControlPlane } from './build';
import { downLab } from './lib/down';
import { preflight, startLab } from './lib/lab';
import { REPO_ROOT } from './lib/layout';
import { relative } from 'node:path';

const USAGE = `usage: npm run lab -- [--nodes N] [--instance N] [--timing]
       npm run lab -- --down [--instance N] [--force]

  --nodes N      number of nodes (default 2)
  --instance N   lab instance (default: the lowest free one); addresses 172.28.N.0/24
  --timing       start, report the time until all nodes are Ready, stop (JSON on stdout)
  --down         remove what crashed labs left behind (all whose process is gone, or instance N)
  --force        with --down: also tear down a lab whose process is still running`;

interface Args {
  nodes: number;
  instance?: number;
  down: boolean;
  force: boolean;
  timing: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { nodes: 2, down: false, force: false, timing: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = argv[++i];
      if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${a} needs a non-negative integer, got ${JSON.stringify(v)}`);
      return Number(v);
    };
    switch (a) {
      case '--nodes': args.nodes = num(); break;
      case '--instance': args.instance = num(); break;
      case '--down': args.down = true; break;
      case '--force': args.force = true; break;
      case '--timing': args.timing = true; break;
      case '-h': case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  return args;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`lab: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.down) {
    await preflight();
    const results = downLab(args.instance, { log, force: args.force });
    const removed = results.reduce((n, r) => n + r.removed.length, 0);
    log(results.length ? `lab: cleaned ${results.map((r) => r.instance).join(', ')} (${removed} leftovers removed)` : 'lab: nothing to clean');
    return;
  }
  await preflight();
  const t0 = Date.now();
  const cp = await ensureControlPlane({ log });
  const tStart = Date.now();
  const lab = await startLab({ nodes: args.nodes, ...(args.instance !== undefined ? { instance: args.instance } : {}), log, controlPlane: cp });
  const readyS = (Date.now() - tStart) / 1000;
  if (args.timing) {
    const tStop = Date.now();
    await lab.stop();
    process.stdout.write(`${JSON.stringify({
      nodes: args.nodes,
      builtControlPlane: cp.built,
      buildSeconds: cp.built ? (tStart - t0) / 1000 : 0,
      startToAllNodesReadySeconds: readyS,
      stopSeconds: (Date.now() - tStop) / 1000,
      kubernetes: cp.manifest.kubernetesVersion,
      etcd: cp.manifest.etcdVersion,
    })}\n`);
    return;
  }
  const kc = lab.kubeconfig;
  const rel = relative(process.cwd(), kc) || kc;
  process.stdout.write([
    '',
    `Lumen lab ${lab.instance} is up (${lab.info.versions.kubernetes}, etcd ${lab.info.versions.etcd}) in ${readyS.toFixed(1)} s:`,
    ...lab.nodes.map((n) => `  ${n.name}  ${n.ip}  pods ${n.podCIDR}`),
    `  apiserver ${lab.apiServer}, services ${lab.serviceCIDR}, logs ${relative(REPO_ROOT, lab.info.logDir)}/`,
    '',
    `kubeconfig: ${kc}`,
    `  export KUBECONFIG=${kc}`,
    `  KUBECONFIG=${rel} npm run serve      # open the Lumen console on this cluster`,
    '',
    'Ctrl+C stops the lab and removes every namespace, interface and process it made.',
    '',
  ].join('\n'));
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      log(`lab: ${sig}, stopping…`);
      lab.stop().then(resolve, (e: Error) => {
        log(`lab: stop failed: ${e.message}`);
        resolve();
      });
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGHUP', () => onSignal('SIGHUP'));
  });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    let err = e as Error | undefined;
    const lines: string[] = [];
    while (err) {
      lines.push(err.message);
      err = err.cause instanceof Error ? err.cause : undefined;
    }
    process.stderr.write(`lab: ${lines.join('\n  caused by: ')}\n`);
    process.exit(1);
  },
);
