// A container's environment as a kubelet builds it: service variables for `kubernetes`,
// envFrom, env with valueFrom (downward API, ConfigMap and Secret keys) and $(VAR)
// expansion, which also applies to command and args.
import type { Container, EnvVar, Pod, ResourceFieldSelector } from './types';

export interface RuntimeFields {
  podIP?: string;
  podIPs?: string[];
  hostIP: string;
  /** Node allocatable, used for limits a container does not set. */
  nodeAllocatable: { cpu: string; memory: string; 'ephemeral-storage': string };
}

/** ConfigMaps and Secrets (by name) the container's env refers to, fetched by the caller. */
export interface EnvSources {
  configMaps: Map<string, Record<string, string> | undefined>;
  secrets: Map<string, Record<string, string> | undefined>;
}

export class EnvError extends Error {
  constructor(message: string, readonly reason = 'CreateContainerConfigError') {
    super(message);
    this.name = 'EnvError';
  }
}

/** Names of ConfigMaps and Secrets the env of `container` reads. */
export function envReferences(container: Container): { configMaps: string[]; secrets: string[] } {
  const cms = new Set<string>();
  const secrets = new Set<string>();
  for (const e of container.env ?? []) {
    if (e.valueFrom?.configMapKeyRef) cms.add(e.valueFrom.configMapKeyRef.name);
    if (e.valueFrom?.secretKeyRef) secrets.add(e.valueFrom.secretKeyRef.name);
  }
  for (const f of container.envFrom ?? []) {
    if (f.configMapRef) cms.add(f.configMapRef.name);
    if (f.secretRef) secrets.add(f.secretRef.name);
  }
  return { configMaps: [...cms], secrets: [...secrets] };
}

/** Expands $(NAME) from `vars`; $$ escapes a $; unknown references stay as written. */
export function expandVars(input: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = vars.get(name);
      out += value ?? `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Value of a downward-API field path for env vars and downwardAPI volume files. */
export function fieldRefValue(pod: Pod, fieldPath: string, rt: Pick<RuntimeFields, 'podIP' | 'podIPs' | 'hostIP'>): string {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const map = labelOrAnnotation[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[labelOrAnnotation[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata.name;
    case 'metadata.namespace': return pod.metadata.namespace;
    case 'metadata.uid': return pod.metadata.uid;
    case 'metadata.labels': return formatMap(pod.metadata.labels);
    case 'metadata.annotations': return formatMap(pod.metadata.annotations);
    case 'spec.nodeName': return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec.serviceAccountName ?? 'default';
    case 'status.hostIP': return rt.hostIP;
    case 'status.hostIPs': return rt.hostIP;
    case 'status.podIP': return rt.podIP ?? '';
    case 'status.podIPs': return (rt.podIPs ?? (rt.podIP ? [rt.podIP] : [])).join(',');
    default:
      throw new EnvError(`unsupported downward API field path "${fieldPath}" in pod ${pod.metadata.namespace}/${pod.metadata.name}`);
  }
}

/** key="value" lines, sorted by key, as the downward API writes label/annotation maps. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {}).sort().map((k) => `${k}=${JSON.stringify(map![k])}`).join('\n');
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6, m: 1e-3,
};

/** Parses a Kubernetes quantity ("500m", "128Mi", "2") into a number of base units. */
export function parseQuantity(q: string): number {
  const m = /^([+-]?\d+(?:\.\d+)?)(?:e(\d+))?([a-zA-Z]*)$/.exec(q.trim());
  if (!m) throw new EnvError(`invalid quantity ${JSON.stringify(q)}`);
  const unit = MEMORY_UNITS[m[3] ?? ''];
  if (unit === undefined) throw new EnvError(`invalid quantity suffix in ${JSON.stringify(q)}`);
  return Number(m[1]) * (m[2] ? 10 ** Number(m[2]) : 1) * unit;
}

export function resourceFieldValue(container: Container, sel: ResourceFieldSelector, rt: Pick<RuntimeFields, 'nodeAllocatable'>): string {
  const [kind, resource] = sel.resource.split('.') as ['limits' | 'requests', string];
  if ((kind !== 'limits' && kind !== 'requests') || !resource) throw new EnvError(`unsupported resource field "${sel.resource}"`);
  let value = container.resources?.[kind]?.[resource];
  if (value === undefined && kind === 'limits') value = rt.nodeAllocatable[resource as keyof RuntimeFields['nodeAllocatable']];
  if (value === undefined && kind === 'requests') value = container.resources?.limits?.[resource] ?? '0';
  if (value === undefined) throw new EnvError(`unsupported resource "${resource}" in resourceFieldRef`);
  const divisor = parseQuantity(sel.divisor ?? '1');
  return String(Math.ceil(parseQuantity(value) / divisor));
}

export interface ComposeEnvInput {
  pod: Pod;
  container: Container;
  runtime: RuntimeFields;
  sources: EnvSources;
  /** The `kubernetes` Service (ClusterIP, port 443), injected as a kubelet does. */
  kubernetesService?: { ip: string; port: number };
  /** Environment the image brings (lowest priority). */
  imageEnv?: Record<string, string>;
}

function keyFrom(kind: 'ConfigMap' | 'Secret', sources: Map<string, Record<string, string> | undefined>, ref: { name: string; key: string; optional?: boolean }, ns: string): string | undefined {
  const data = sources.get(ref.name);
  if (!data) {
    if (ref.optional) return undefined;
    throw new EnvError(`${kind.toLowerCase()} "${ref.name}" not found in namespace ${ns}`);
  }
  const v = data[ref.key];
  if (v === undefined && !ref.optional) throw new EnvError(`couldn't find key ${ref.key} in ${kind} ${ns}/${ref.name}`);
  return v;
}

/** The final ordered environment of a container, plus its expanded command/args helper. */
export function composeEnv(input: ComposeEnvInput): Map<string, string> {
  const { pod, container, sources } = input;
  const ns = pod.metadata.namespace;
  const env = new Map<string, string>();
  for (const [k, v] of Object.entries(input.imageEnv ?? {})) env.set(k, v);
  if (input.kubernetesService && pod.spec.enableServiceLinks !== false) {
    const { ip, port } = input.kubernetesService;
    env.set('KUBERNETES_SERVICE_HOST', ip);
    env.set('KUBERNETES_SERVICE_PORT', String(port));
    env.set('KUBERNETES_SERVICE_PORT_HTTPS', String(port));
    env.set('KUBERNETES_PORT', `tcp://${ip}:${port}`);
    env.set(`KUBERNETES_PORT_${port}_TCP`, `tcp://${ip}:${port}`);
    env.set(`KUBERNETES_PORT_${port}_TCP_PROTO`, 'tcp');
    env.set(`KUBERNETES_PORT_${port}_TCP_PORT`, String(port));
    env.set(`KUBERNETES_PORT_${port}_TCP_ADDR`, ip);
  } else if (input.kubernetesService) {
    // Without service links a kubelet still injects the master service host/port.
    env.set('KUBERNETES_SERVICE_HOST', input.kubernetesService.ip);
    env.set('KUBERNETES_SERVICE_PORT', String(input.kubernetesService.port));
  }
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const data = (from.configMapRef ? sources.configMaps : sources.secrets).get(ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new EnvError(`${kind.toLowerCase()} "${ref.name}" not found in namespace ${ns} (envFrom of container ${container.name})`);
    }
    for (const [k, v] of Object.entries(data)) env.set(`${prefix}${k}`, v);
  }
  for (const e of container.env ?? []) {
    const value = envVarValue(e, input, env);
    if (value !== undefined) env.set(e.name, value);
  }
  return env;
}

function envVarValue(e: EnvVar, input: ComposeEnvInput, sofar: Map<string, string>): string | undefined {
  const { pod, container, runtime, sources } = input;
  const ns = pod.metadata.namespace;
  if (!e.valueFrom) return expandVars(e.value ?? '', sofar);
  const vf = e.valueFrom;
  if (vf.fieldRef) return fieldRefValue(pod, vf.fieldRef.fieldPath, runtime);
  if (vf.resourceFieldRef) return resourceFieldValue(container, vf.resourceFieldRef, runtime);
  if (vf.configMapKeyRef) return keyFrom('ConfigMap', sources.configMaps, vf.configMapKeyRef, ns);
  if (vf.secretKeyRef) return keyFrom('Secret', sources.secrets, vf.secretKeyRef, ns);
  throw new EnvError(`env var ${e.name} of container ${container.name}: valueFrom has no supported source`);
}

/** command/args with $(VAR) references expanded against the container's environment. */
export function expandArgv(argv: string[], env: ReadonlyMap<string, string>): string[] {
  return argv.map((a) => expandVars(a, env));
}
