// Preflight: reads the cluster (read-only: version, nodes, DaemonSets, kube-proxy, an existing install, access reviews) and turns it into checks and option defaults.
import { LUMEN_VERSION, PART_OF_LABEL, TOKEN_SECRET_KEY, VERSION_ANNOTATION, names, renderManifests, type K8sObject } from '../../../../resources/manifests.js';
import type { PreflightCheck, PreflightReport } from '../../../shared/contract/index.js';
import { logger } from '../../log.js';
import type { KubeApi } from '../kube.js';
import { defaultOptions, type ExistingConfig } from '../options.js';
import { collectionPath } from '../resources.js';
import type { InstallSecrets } from '../secrets.js';
import {
  apiVersionCheck, cniCheck, existingCheck, findKubeProxy, flavourCheck, kernelCheck, kubeProxyCheck, permissionsCheck,
  type DaemonSetLike, type ExistingInstall, type Fact,
} from './checks.js';
import { detectFlavour, nodeAddress, nodeReady, type NodeLike } from './flavour.js';
import { installNeeds, reviewInstallAccess, type AccessAnswer } from './permissions.js';

const log = logger('install:preflight');

export interface PreflightResult {
  report: PreflightReport;
  nodes: NodeLike[];
  existing: ExistingConfig | null;
  /** The running install's secrets, reused by an upgrade so agents and console keep working. */
  existingSecrets: InstallSecrets | null;
}

export interface PreflightHooks {
  onCheck?(check: PreflightCheck, done: number, total: number): void;
  onProgress?(text: string): void;
  signal?: AbortSignal;
}

async function fact<T>(what: string, run: () => Promise<T>, kube: KubeApi): Promise<Fact<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    const typed = kube.classify(error);
    log.warn(`${what}: ${typed.message}`);
    return { ok: false, error: typed.message };
  }
}

const b64 = (s: string | undefined): string | null => (s ? Buffer.from(s, 'base64').toString('utf8') : null);

/** The real API server address: the `kubernetes` EndpointSlice (what pods see), else the kubeconfig's server. */
async function agentApiServer(kube: KubeApi, signal?: AbortSignal): Promise<string> {
  try {
    const slices = await kube.list<{ endpoints?: { addresses?: string[] }[]; ports?: { name?: string; port?: number }[] }>(
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', { labelSelector: 'kubernetes.io/service-name=kubernetes', ...(signal ? { signal } : {}) });
    for (const s of slices.items) {
      const address = s.endpoints?.find((e) => e.addresses?.length)?.addresses?.[0];
      const port = s.ports?.find((p) => p.name === 'https')?.port ?? s.ports?.[0]?.port;
      if (address && port && /^\d+\.\d+\.\d+\.\d+$/.test(address)) return `https://${address}:${port}`;
    }
  } catch (error) {
    log.debug('no kubernetes EndpointSlice; using the kubeconfig server', { error });
  }
  return kube.target.server;
}

async function serviceCidrs(kube: KubeApi, signal?: AbortSignal): Promise<string[]> {
  try {
    const list = await kube.list<{ spec?: { cidrs?: string[] } }>('/apis/networking.k8s.io/v1/servicecidrs', signal ? { signal } : {});
    return list.items.flatMap((i) => i.spec?.cidrs ?? []);
  } catch {
    return [];
  }
}

interface ExistingFacts {
  install: ExistingInstall;
  config: ExistingConfig;
  secrets: InstallSecrets | null;
}

async function findExisting(kube: KubeApi, daemonSets: readonly DaemonSetLike[], signal?: AbortSignal): Promise<ExistingFacts | null> {
  const ds = daemonSets.find((d) => d.metadata.labels?.[PART_OF_LABEL] === 'lumen' && d.metadata.labels?.['app.kubernetes.io/component'] === 'agent');
  if (!ds?.metadata.namespace) return null;
  const ns = ds.metadata.namespace;
  const container = ds.spec?.template?.spec?.containers?.find((c) => c.name === 'agent');
  const env = new Map((container?.env ?? []).map((e) => [e.name, e.value]));
  const host = env.get('KUBERNETES_SERVICE_HOST');
  const port = env.get('KUBERNETES_SERVICE_PORT');
  const opts = signal ? { signal } : {};
  const cm = await kube.getOptional<{ data?: Record<string, string> }>(`${collectionPath('ConfigMap', ns)}/${names.configMap}`, opts).catch(() => null);
  let objects = 0;
  for (const kind of ['ServiceAccount', 'ConfigMap', 'Secret', 'DaemonSet', 'Role', 'RoleBinding'] as const) {
    objects += (await kube.list(collectionPath(kind, ns), { labelSelector: `${PART_OF_LABEL}=lumen`, ...opts }).catch(() => ({ items: [] }))).items.length;
  }
  for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Namespace'] as const) {
    objects += (await kube.list(collectionPath(kind), { labelSelector: `${PART_OF_LABEL}=lumen`, ...opts }).catch(() => ({ items: [] }))).items.length;
  }
  let secrets: InstallSecrets | null = null;
  try {
    const tls = await kube.get<{ data?: Record<string, string> }>(`${collectionPath('Secret', ns)}/${names.tlsSecret}`, opts);
    const tok = await kube.get<{ data?: Record<string, string> }>(`${collectionPath('Secret', ns)}/${names.tokenSecret}`, opts);
    const tlsCert = b64(tls.data?.['tls.crt']);
    const tlsKey = b64(tls.data?.['tls.key']);
    const token = b64(tok.data?.[TOKEN_SECRET_KEY])?.trim();
    if (tlsCert && tlsKey && token) secrets = { tlsCert, tlsKey, token };
  } catch (error) {
    log.info(`cannot reuse the install's secrets in ${ns} (new ones will be generated): ${kube.classify(error).message}`);
  }
  return {
    install: { namespace: ns, version: ds.metadata.annotations?.[VERSION_ANNOTATION] ?? null, objects },
    config: {
      namespace: ns,
      image: container?.image ?? null,
      imagePullPolicy: container?.imagePullPolicy ?? null,
      apiServer: host ? `https://${host}:${port ?? '443'}` : null,
      configData: cm?.data ?? null,
    },
    secrets,
  };
}

export async function runPreflight(kube: KubeApi, secrets: InstallSecrets, hooks: PreflightHooks = {}): Promise<PreflightResult> {
  const started = Date.now();
  const signal = hooks.signal;
  const opts = signal ? { signal } : {};
  const total = 7;
  const checks: PreflightCheck[] = [];
  const emit = (c: PreflightCheck) => {
    checks.push(c);
    hooks.onCheck?.(c, checks.length, total);
  };

  hooks.onProgress?.('reading the server version');
  const version = await fact('version', () => kube.get<{ gitVersion: string; major: string; minor: string }>('/version', opts), kube);
  emit(apiVersionCheck(version));

  hooks.onProgress?.('reading nodes');
  const nodes = await fact('nodes', async () => (await kube.list<NodeLike>(collectionPath('Node'), opts)).items, kube);
  const nodeList = nodes.ok ? nodes.value : [];
  emit(kernelCheck(nodes));

  hooks.onProgress?.('looking for other CNIs, kube-proxy and an existing install');
  const daemonSets = await fact('daemonsets', async () => (await kube.list<DaemonSetLike>('/apis/apps/v1/daemonsets', opts)).items, kube);
  const proxyPods = await fact('kube-proxy pods', async () => (await kube.list<{ metadata: { name: string } }>(collectionPath('Pod', 'kube-system'), { labelSelector: 'k8s-app=kube-proxy', ...opts })).items, kube);
  const flavour = detectFlavour(nodeList, kube.context, kube.target.server);
  const existing = daemonSets.ok ? await fact('existing install', () => findExisting(kube, daemonSets.value, signal), kube) : { ok: true as const, value: null };
  const existingFacts = existing.ok ? existing.value : null;
  const kubeProxy = findKubeProxy({ daemonSets, pods: proxyPods }, flavour);
  const apiServer = await agentApiServer(kube, signal);
  const cidrs = await serviceCidrs(kube, signal);
  const { options: defaults, notes } = defaultOptions({
    flavour, kubeProxyPresent: kubeProxy.present, apiServer, nodes: nodeList, serviceCIDRs: cidrs, existing: existingFacts?.config ?? null,
  });
  emit(cniCheck(daemonSets, nodeList, flavour));
  emit(kubeProxyCheck(kubeProxy, daemonSets.ok || proxyPods.ok));
  emit(flavourCheck(flavour, notes));
  emit(existingCheck(existing.ok ? { ok: true, value: existingFacts?.install ?? null } : existing, LUMEN_VERSION));

  hooks.onProgress?.('checking your permissions');
  let objects: K8sObject[] = [];
  try {
    objects = renderManifests({ apiServer: defaults.apiServer, secrets, namespace: defaults.namespace });
  } catch (error) {
    log.warn('rendering the default manifests for the permission list failed', { error });
  }
  const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
  const answers = await fact<AccessAnswer[]>('permissions', () => reviewInstallAccess(kube, installNeeds(objects, defaults.namespace), roles, defaults.namespace,
    (done, all) => hooks.onProgress?.(`checking your permissions (${done}/${all})`), signal), kube);
  emit(permissionsCheck(answers));

  // Checks in the order a reader wants them: can I, will it run, what is there.
  const order = ['api-version', 'permissions', 'kernel', 'cni', 'kube-proxy', 'flavour', 'existing'];
  checks.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const report: PreflightReport = {
    context: kube.context,
    server: kube.target.server,
    serverVersion: version.ok ? version.value.gitVersion : 'unknown',
    flavour: flavour.flavour,
    flavourEvidence: flavour.evidence,
    checks,
    nodes: nodeList.map((n) => ({
      name: n.metadata.name,
      internalIP: nodeAddress(n),
      kernel: n.status?.nodeInfo?.kernelVersion ?? 'unknown',
      ready: nodeReady(n),
      kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? 'unknown',
    })),
    kubeProxyPresent: kubeProxy.present,
    existing: existingFacts?.install ?? null,
    blocking: checks.some((c) => c.status === 'fail'),
    defaults,
    durationMs: Date.now() - started,
  };
  log.info(`preflight of ${kube.context}: ${checks.map((c) => `${c.id}=${c.status}`).join(' ')} in ${report.durationMs} ms`);
  return { report, nodes: nodeList, existing: existingFacts?.config ?? null, existingSecrets: existingFacts?.secrets ?? null };
}

