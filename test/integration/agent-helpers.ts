// Shared helpers of the agent's lab tests (test/integration/agent-*.test.ts): a client for
// the lab's API server, apply/delete of plain objects, polling with a deadline.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient, isNotFound, kubeconfigCredentials } from '../../agent/src/k8s/client.js';
import { renderManifests } from '../../resources/manifests.js';
import { generateToken, selfSignedCertificate } from '../../resources/certs.js';
import { attachLab, type LabHandle } from '../lab/index.js';
import { useLab } from '../lab/use-lab.js';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

const plural: Record<string, string> = {
  Namespace: 'namespaces', ServiceAccount: 'serviceaccounts', ConfigMap: 'configmaps', Secret: 'secrets',
  Service: 'services', Pod: 'pods', Node: 'nodes', DaemonSet: 'daemonsets', Deployment: 'deployments',
  ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', Role: 'roles', RoleBinding: 'rolebindings',
  CustomResourceDefinition: 'customresourcedefinitions', NetworkPolicy: 'networkpolicies', EndpointSlice: 'endpointslices',
  Identity: 'identities', LumenEndpoint: 'lumenendpoints', Lease: 'leases', PriorityClass: 'priorityclasses',
};
const clusterScoped = new Set(['Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Identity', 'PriorityClass']);

/** REST path of an object (collection when `name` is omitted). */
export function objectPath(o: Pick<K8sObject, 'apiVersion' | 'kind'> & { metadata: { name?: string; namespace?: string } }, withName = true): string {
  const p = plural[o.kind];
  if (!p) throw new Error(`objectPath: unknown kind ${o.kind}`);
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const ns = clusterScoped.has(o.kind) ? '' : `/namespaces/${o.metadata.namespace ?? 'default'}`;
  return `${base}${ns}/${p}${withName && o.metadata.name ? `/${o.metadata.name}` : ''}`;
}

export function labClient(kubeconfig: string): KubeClient {
  return new KubeClient(kubeconfigCredentials(kubeconfig));
}

/** Server-side apply (one field manager, forced), like `kubectl apply --server-side`. */
export async function apply(client: KubeClient, obj: K8sObject): Promise<K8sObject> {
  return client.request<K8sObject>('PATCH', `${objectPath(obj)}?fieldManager=lumen-tests&force=true`, {
    body: obj, contentType: 'application/apply-patch+yaml',
  });
}

export async function applyAll(client: KubeClient, objs: K8sObject[]): Promise<void> {
  for (const o of objs) {
    // A namespace still being deleted (an earlier test's uninstall) refuses new content.
    if (o.kind === 'Namespace') {
      await waitFor(`namespace ${o.metadata.name} to finish terminating`, async () => {
        try {
          const ns = await client.get<{ metadata: { deletionTimestamp?: string } }>(objectPath(o));
          return ns.metadata.deletionTimestamp ? undefined : true;
        } catch (err) {
          if (isNotFound(err)) return true;
          throw err;
        }
      }, 120_000, 500);
    }
    try {
      await apply(client, o);
    } catch (err) {
      throw new Error(`applying ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, { cause: err });
    }
    // CRDs must be established before objects of their kinds are applied.
    if (o.kind === 'CustomResourceDefinition') {
      await waitFor(`CRD ${o.metadata.name} established`, async () => {
        const crd = await client.get<{ status?: { conditions?: { type: string; status: string }[] } }>(objectPath(o));
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      }, 30_000);
    }
  }
}

export async function remove(client: KubeClient, obj: Pick<K8sObject, 'apiVersion' | 'kind' | 'metadata'>, gracePeriodSeconds?: number): Promise<void> {
  try {
    await client.delete(objectPath(obj), gracePeriodSeconds === undefined ? undefined : { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds, propagationPolicy: 'Background' });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Polls `probe` until it returns something other than undefined/false; the error names `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface PodLite {
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

export const isReady = (p: PodLite): boolean => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export async function listPods(client: KubeClient, namespace: string, selector?: string): Promise<PodLite[]> {
  const q = selector ? `?labelSelector=${encodeURIComponent(selector)}` : '';
  return (await client.get<{ items: PodLite[] }>(`/api/v1/namespaces/${namespace}/pods${q}`)).items;
}

/** Waits until exactly `count` pods match and all are Ready and not terminating. */
export function waitReadyPods(client: KubeClient, namespace: string, selector: string, count: number, timeoutMs = 90_000): Promise<PodLite[]> {
  return waitFor(`${count} ready pods ${selector} in ${namespace}`, async () => {
    const pods = (await listPods(client, namespace, selector)).filter((p) => !p.metadata.deletionTimestamp);
    return pods.length === count && pods.every(isReady) ? pods : undefined;
  }, timeoutMs);
}

export function namespace(name: string, labels: Record<string, string> = {}): K8sObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export function echoDeployment(ns: string, name: string, replicas: number, labels: Record<string, string>, ports: { name: string; port: number; protocol?: string }[], extra: { nodeName?: string; grace?: number } = {}): K8sObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
          terminationGracePeriodSeconds: extra.grace ?? 5,
          containers: [{
            name: 'echo', image: 'lumen.dev/lab/echo:1',
            ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol ?? 'TCP' })),
            env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          }],
        },
      },
    },
  };
}

export function clientPod(ns: string, name: string, nodeName: string, labels: Record<string, string> = { app: 'client' }): K8sObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels },
    spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'client', image: 'lumen.dev/lab/client:1' }] },
  };
}

export function service(ns: string, name: string, selector: Record<string, string>, ports: { name?: string; port: number; targetPort: number | string; protocol?: string; nodePort?: number }[], extra: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns },
    spec: { selector, ports: ports.map((p) => ({ protocol: 'TCP', ...p })), ...extra },
  };
}

// ---- installing the agent into the lab ----

export interface LabLike {
  apiServer: string;
  kubeconfig: string;
  clusterCIDR: string;
  serviceCIDR: string;
  nodes: { name: string; ip: string; podCIDR: string }[];
  info: { binDir: string; instance: number };
}

/** Agent config for the lab: restricted pod routes (no default route out of the lab). */
export function labAgentConfig(lab: LabLike, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const subnet = lab.nodes[0]!.ip.replace(/\.\d+$/, '.0/24');
  return {
    podRoutes: 'restricted',
    podRouteCidrs: [lab.clusterCIDR, lab.serviceCIDR, subnet],
    ...overrides,
  };
}

export const AGENT_SOCKET = '/var/run/lumen/lumen.sock';
export const AGENT_SELECTOR = 'app.kubernetes.io/name=lumen,app.kubernetes.io/component=agent';
export const AGENT_IMAGE = 'lumen.dev/lab/lumen-agent:dev';

/** The artifacts the lab's agent image maps to; a clear error when one is missing. */
export function missingAgentArtifacts(repo: string): string[] {
  const need: [string, string][] = [
    ['dist/agent/lumen-agent.mjs', 'npm run build:agent'],
    ['dist/agent/lumen.mjs', 'npm run build:agent'],
    ['agent/cni/lumen-cni', 'npm run build:cni'],
    ['agent/native/build/Release/lumen_bpf.node', 'npm run build:native'],
    ['bpf/.output/lxc.bpf.o', 'npm run build:bpf'],
  ];
  return need.filter(([p]) => !existsSync(join(repo, p))).map(([p, how]) => `${p} (${how})`);
}

/** Runs the `lumen` CLI on a node against that node's agent. */
export async function lumenCli(lab: { exec(node: string, argv: string[], opts?: { timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }> }, repo: string, node: string, args: string[]): Promise<string> {
  const r = await lab.exec(node, [process.execPath, join(repo, 'dist/agent/lumen.mjs'), ...args, '--socket', AGENT_SOCKET], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`lumen ${args.join(' ')} on ${node} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/**
 * Waits until every node's agent has the Service `namespace/name` in its maps with exactly
 * `active` active backends. Pods being Ready is not enough before sending traffic: the
 * EndpointSlice and the agent's programming follow asynchronously, and until then the
 * datapath answers a connect() to the ClusterIP as a service without backends (EPERM).
 */
export function waitServiceRealized(lab: { nodes: { name: string }[]; exec(node: string, argv: string[], opts?: { timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }> },
  repo: string, namespace: string, name: string, active: number, timeoutMs = 30_000): Promise<true> {
  type Entry = { desired: { service: { namespace: string; name: string } } | null; realized: { backends: { state: string }[] } | null };
  return waitFor(`service ${namespace}/${name} realized with ${active} active backends on every node`, async () => {
    const all = await Promise.all(lab.nodes.map((n) => lumenCli(lab, repo, n.name, ['service', 'list', '-o', 'json'])));
    return all.every((out) => {
      const v = JSON.parse(out) as Entry[] | { items: Entry[] };
      const entries = (Array.isArray(v) ? v : v.items).filter((e) => e.desired?.service.namespace === namespace && e.desired.service.name === name);
      return entries.length > 0 && entries.every((e) => e.realized?.backends.filter((b) => b.state === 'active').length === active);
    }) ? true : undefined;
  }, timeoutMs, 100);
}

/** Waits until the DaemonSet's rollout is complete: every pod updated, available and Ready. */
export function waitRollout(client: KubeClient, namespace: string, name: string, timeoutMs = 180_000): Promise<true> {
  return waitFor(`DaemonSet ${namespace}/${name} rolled out`, async () => {
    const ds = await client.get<{ metadata: { generation: number }; status: { observedGeneration?: number; desiredNumberScheduled: number; updatedNumberScheduled?: number; numberReady: number; numberAvailable?: number } }>(
      `/apis/apps/v1/namespaces/${namespace}/daemonsets/${name}`);
    const s = ds.status;
    return (s.observedGeneration ?? 0) >= ds.metadata.generation && s.desiredNumberScheduled > 0 &&
      s.updatedNumberScheduled === s.desiredNumberScheduled && s.numberReady === s.desiredNumberScheduled &&
      (s.numberAvailable ?? 0) === s.desiredNumberScheduled ? true : undefined;
  }, timeoutMs, 500);
}

/**
 * Installs (or updates) the agent in the lab from resources/manifests.ts and waits for the
 * rollout; returns the install token and the objects applied.
 */
export async function installAgent(lab: LabLike, client: KubeClient, config: Record<string, unknown> = {}): Promise<{ token: string; objects: K8sObject[] }> {
  const token = generateToken();
  const cert = selfSignedCertificate({ commonName: 'lumen-agent', hosts: lab.nodes.map((n) => n.ip) });
  const objects = renderManifests({
    apiServer: lab.apiServer, image: AGENT_IMAGE, imagePullPolicy: 'Never', terminationGracePeriodSeconds: 10,
    secrets: { tlsCert: cert.certPem, tlsKey: cert.keyPem, token },
    config: labAgentConfig(lab, config) as never,
  }) as K8sObject[];
  await applyAll(client, objects);
  await waitRollout(client, 'lumen-system', 'lumen-agent');
  await waitReadyPods(client, 'lumen-system', AGENT_SELECTOR, lab.nodes.length, 120_000);
  return { token, objects };
}

/**
 * The lab for an agent test file: the shared one from the lab project's global setup, else
 * one of its own (test/lab/use-lab.ts); LUMEN_LAB_ATTACH=<instance> attaches to a lab that
 * is already running (development).
 */
export function agentLab(): { lab?: LabHandle } {
  const attach = process.env.LUMEN_LAB_ATTACH;
  return attach !== undefined ? { lab: attachLab(Number(attach)) } : useLab();
}
export { skipReason as labSkipReason } from '../lab/use-lab.js';
