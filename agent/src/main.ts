// lumen-agent entry point: reads the config and environment, starts the API early (health
// and readiness answer from the first second), then the core; SIGTERM/SIGINT stop it,
// leaving pinned maps and attached programs for the next agent unless uninstalling.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigDir, readAgentEnv, type AgentConfig } from './config.js';
import { startAgentApi, type AgentApi } from './api/server.js';
import { AgentMetrics } from './metrics/agent.js';
import { FlowPipeline } from './flows/pipeline.js';
import { Agent } from './core/agent.js';
import { CoreView } from './core/view.js';
import { openNativeDatapath } from './datapath/native.js';
import { datapathNames, decodeFlowRecord } from './flows/raw.js';
import { inClusterCredentials, kubeconfigCredentials, KubeClient } from './k8s/client.js';
import { log, setLogLevel } from './log.js';

const USAGE = `usage: lumen-agent [--config-dir DIR] [--kubeconfig FILE] [--uninstall]
  --config-dir   mounted ConfigMap directory (default /etc/lumen/config)
  --kubeconfig   use a kubeconfig instead of the in-cluster service account (development)
  --uninstall    on SIGTERM detach programs and remove pinned maps (same as cleanup-on-exit)`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        'config-dir': { type: 'string', default: '/etc/lumen/config' },
        kubeconfig: { type: 'string' },
        uninstall: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`lumen-agent: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: AgentConfig;
  let env;
  try {
    config = loadConfigDir(args['config-dir']!);
    env = readAgentEnv(process.env);
  } catch (err) {
    // Refuse to start, naming the key (ConfigError's message lists every problem).
    process.stderr.write(`lumen-agent: ${err instanceof ConfigError ? err.message : (err as Error).stack}\n`);
    return 1;
  }
  setLogLevel(config.logLevel);
  const creds = args.kubeconfig ? kubeconfigCredentials(args.kubeconfig) : inClusterCredentials();
  const client = new KubeClient(creds);
  log.info('agent', `starting on node ${env.nodeName} (${env.nodeIP}); API server ${creds.server}`);

  const metrics = new AgentMetrics();
  const agent = new Agent({
    config, env, client,
    openDatapath: openNativeDatapath,
    cniPlugin: process.env.LUMEN_CNI_BIN ?? '/opt/lumen/agent/cni/lumen-cni',
    onSynced: (part, seconds) => metrics.observeSync(part, seconds),
  });
  const view = new CoreView(agent, env.nodeName);
  const pipeline = new FlowPipeline({
    lookups: view, names: datapathNames, decode: decodeFlowRecord, bufferSize: config.flowBufferSize,
    log: (m) => log.warn('flows', m),
  });
  metrics.attach({ view, flows: pipeline.store });
  let api: AgentApi | undefined;
  try {
    api = await startAgentApi({
      view, flows: pipeline.store, metrics, startedAt: agent.startedAt, log: (m) => log.info('api', m),
      https: { address: config.apiAddress || env.nodeIP, port: config.apiPort, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile, tokenFile: config.tokenFile },
      socketPath: config.apiSocket,
    });
  } catch (err) {
    log.error('api', 'cannot start the API', err);
    return 1;
  }

  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    stopping ??= (async () => {
      const uninstall = args.uninstall || config.cleanupOnExit;
      log.info('agent', `${signal}: stopping${uninstall ? ' and uninstalling' : ' (pinned state stays for the next agent)'}`);
      await api?.close().catch((err: unknown) => log.warn('api', 'close', err));
      await agent.stop({ uninstall });
    })();
    return stopping;
  };
  const exited = new Promise<number>((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => void stop(sig).then(() => resolve(0), (err: unknown) => { log.error('agent', 'stop failed', err); resolve(1); }));
    }
  });
  try {
    await agent.start();
    agent.ctx?.datapath.startEvents((records) => pipeline.ingestRecords(records), (total) => pipeline.store.setLostTotal(total));
  } catch (err) {
    if (stopping) return exited;
    log.error('agent', 'start-up failed', err);
    await api.close().catch(() => undefined);
    await agent.stop().catch(() => undefined);
    return 1;
  }
  return exited;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log.error('agent', 'fatal', err);
    process.exit(1);
  },
);
