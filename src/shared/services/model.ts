// Service + its EndpointSlices -> the desired datapath model: frontends (cluster IP, node ports,
// external IPs, load-balancer IPs) and, per service port, backends with their state. IPv4 only.
import {
  isIpv4,
  objectKey,
  SERVICE_NAME_LABEL,
  labelValue,
  type EndpointSlice,
  type Service,
  type ServicePort,
} from '../k8s/index.js';

export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';
export type FrontendKind = 'ClusterIP' | 'NodePort' | 'ExternalIP' | 'LoadBalancer';
export type TrafficPolicy = 'Cluster' | 'Local';

/**
 * - active: ready (new connections may go there);
 * - terminating: not ready but still serving while terminating (existing connections drain;
 *   new ones only when no active backend exists, as kube-proxy does);
 * - excluded: not serving (kept for display, never programmed).
 */
export type BackendState = 'active' | 'terminating' | 'excluded';

export interface Backend {
  ip: string;
  port: number;
  state: BackendState;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  zone?: string;
  podRef?: { namespace: string; name: string; uid?: string };
}

export interface SessionAffinity {
  clientIP: boolean;
  /** Seconds; present when clientIP (default 10800). */
  timeoutSeconds?: number;
}

export interface DesiredServicePort {
  /** '' for the single unnamed port. */
  name: string;
  protocol: ServiceProtocol;
  port: number;
  targetPort: number | string;
  nodePort?: number;
  /** Sorted by ip then port; shared (same array) by every frontend of this port. */
  backends: readonly Backend[];
}

export interface Frontend {
  /** `ip:port/PROTO`, unique per datapath services map entry. */
  key: string;
  kind: FrontendKind;
  ip: string;
  port: number;
  protocol: ServiceProtocol;
  /** `namespace/name` of the Service. */
  service: string;
  portName: string;
  /** internalTrafficPolicy for the cluster IP, externalTrafficPolicy for the others. */
  trafficPolicy: TrafficPolicy;
  sessionAffinity: SessionAffinity;
  backends: readonly Backend[];
}

export interface DesiredService {
  key: string;
  namespace: string;
  name: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  clusterIP?: string;
  headless: boolean;
  externalName?: string;
  selector?: Record<string, string>;
  sessionAffinity: SessionAffinity;
  externalTrafficPolicy: TrafficPolicy;
  internalTrafficPolicy: TrafficPolicy;
  externalIPs: string[];
  loadBalancerIPs: string[];
  ports: DesiredServicePort[];
  frontends: Frontend[];
  /** Distinct backend addresses over all ports, for counts. */
  endpoints: { total: number; ready: number; serving: number; terminating: number };
}

export interface ServiceModelOptions {
  /** IPv4 addresses NodePort frontends listen on (the agent: its node's; the console: none or
   *  all nodes'). */
  nodeAddresses?: readonly string[];
}

const DEFAULT_AFFINITY_TIMEOUT = 10800;
const PROTOCOLS: readonly string[] = ['TCP', 'UDP', 'SCTP'];

function asTrafficPolicy(v: string | undefined): TrafficPolicy {
  return v === 'Local' ? 'Local' : 'Cluster';
}

function serviceType(svc: Service): DesiredService['type'] {
  const t = svc.spec?.type;
  return t === 'NodePort' || t === 'LoadBalancer' || t === 'ExternalName' ? t : 'ClusterIP';
}

function compareBackends(a: Backend, b: Backend): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port;
}

/** Backends of one service port from the service's slices: slice ports match by name (absent =
 *  '') and protocol, as kube-proxy does, which is how named targetPorts resolve per pod.
 *  Deduplicated by ip:port (an endpoint seen in two slices while it moves: the non-terminating
 *  one wins, like kube-proxy). */
function backendsFor(port: ServicePort, protocol: ServiceProtocol, slices: readonly EndpointSlice[]): Backend[] {
  const wanted = port.name ?? '';
  const byKey = new Map<string, Backend>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    for (const sp of slice.ports ?? []) {
      if ((sp.name ?? '') !== wanted || (sp.protocol ?? 'TCP') !== protocol) continue;
      if (sp.port == null || sp.port <= 0) continue;
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses?.[0];
        if (ip === undefined || !isIpv4(ip)) continue;
        const ready = ep.conditions?.ready ?? true;
        const serving = ep.conditions?.serving ?? true;
        const terminating = ep.conditions?.terminating ?? false;
        const state: BackendState = ready ? 'active' : serving && terminating ? 'terminating' : 'excluded';
        const backend: Backend = { ip, port: sp.port, state, ready, serving, terminating };
        if (ep.nodeName) backend.nodeName = ep.nodeName;
        if (ep.zone) backend.zone = ep.zone;
        const ref = ep.targetRef;
        if (ref?.kind === 'Pod' && ref.name) {
          backend.podRef = { namespace: ref.namespace ?? slice.metadata?.namespace ?? '', name: ref.name };
          if (ref.uid) backend.podRef.uid = ref.uid;
        }
        const key = `${ip}:${sp.port}`;
        const existing = byKey.get(key);
        if (existing === undefined || (existing.terminating && !terminating)) byKey.set(key, backend);
      }
    }
  }
  return [...byKey.values()].sort(compareBackends);
}

/** Counts over distinct addresses of all IPv4 slices of the service. */
function countEndpoints(slices: readonly EndpointSlice[]): DesiredService['endpoints'] {
  const byIp = new Map<string, { ready: boolean; serving: boolean; terminating: boolean }>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      if (ip === undefined) continue;
      const c = { ready: ep.conditions?.ready ?? true, serving: ep.conditions?.serving ?? true, terminating: ep.conditions?.terminating ?? false };
      const existing = byIp.get(ip);
      if (existing === undefined || (existing.terminating && !c.terminating)) byIp.set(ip, c);
    }
  }
  const out = { total: byIp.size, ready: 0, serving: 0, terminating: 0 };
  for (const c of byIp.values()) {
    if (c.ready) out.ready++;
    if (c.serving) out.serving++;
    if (c.terminating) out.terminating++;
  }
  return out;
}

/**
 * The desired model of one Service given ITS EndpointSlices (the caller indexes slices by the
 * kubernetes.io/service-name label; see desiredServices / ServiceIndex). Ports with an unknown
 * protocol or no port number are skipped; addresses that are not IPv4 are ignored.
 */
export function desiredService(svc: Service, slices: readonly EndpointSlice[], options: ServiceModelOptions = {}): DesiredService {
  const spec = svc.spec ?? {};
  const namespace = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  const key = objectKey(svc);
  const type = serviceType(svc);
  const clusterIPs = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  const headless = spec.clusterIP === 'None' || clusterIPs.includes('None');
  const clusterIP = type === 'ExternalName' || headless ? undefined : clusterIPs.find((ip) => isIpv4(ip));
  const sessionAffinity: SessionAffinity =
    spec.sessionAffinity === 'ClientIP'
      ? { clientIP: true, timeoutSeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT }
      : { clientIP: false };
  const externalTrafficPolicy = asTrafficPolicy(spec.externalTrafficPolicy);
  const internalTrafficPolicy = asTrafficPolicy(spec.internalTrafficPolicy);
  const externalIPs = (spec.externalIPs ?? []).filter((ip) => isIpv4(ip));
  const loadBalancerIPs =
    type === 'LoadBalancer'
      ? (svc.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip && isIpv4(i.ip) && i.ipMode !== 'Proxy').map((i) => i.ip!)
      : [];
  const nodeAddresses = (options.nodeAddresses ?? []).filter((ip) => isIpv4(ip));

  const ports: DesiredServicePort[] = [];
  const frontends: Frontend[] = [];
  if (type !== 'ExternalName') {
    for (const sp of spec.ports ?? []) {
      const protocol = (sp.protocol ?? 'TCP') as ServiceProtocol;
      if (!PROTOCOLS.includes(protocol) || !Number.isInteger(sp.port) || sp.port <= 0) continue;
      const backends = backendsFor(sp, protocol, slices);
      const port: DesiredServicePort = { name: sp.name ?? '', protocol, port: sp.port, targetPort: sp.targetPort ?? sp.port, backends };
      const nodePort = (type === 'NodePort' || type === 'LoadBalancer') && sp.nodePort ? sp.nodePort : undefined;
      if (nodePort !== undefined) port.nodePort = nodePort;
      ports.push(port);
      const add = (kind: FrontendKind, ip: string, p: number, trafficPolicy: TrafficPolicy): void => {
        frontends.push({ key: `${ip}:${p}/${protocol}`, kind, ip, port: p, protocol, service: key, portName: port.name, trafficPolicy, sessionAffinity, backends });
      };
      if (clusterIP !== undefined) add('ClusterIP', clusterIP, sp.port, internalTrafficPolicy);
      if (nodePort !== undefined) for (const ip of nodeAddresses) add('NodePort', ip, nodePort, externalTrafficPolicy);
      for (const ip of externalIPs) add('ExternalIP', ip, sp.port, externalTrafficPolicy);
      for (const ip of loadBalancerIPs) add('LoadBalancer', ip, sp.port, externalTrafficPolicy);
    }
  }
  const out: DesiredService = {
    key,
    namespace,
    name,
    type,
    headless,
    sessionAffinity,
    externalTrafficPolicy,
    internalTrafficPolicy,
    externalIPs,
    loadBalancerIPs,
    ports,
    frontends,
    endpoints: countEndpoints(slices),
  };
  if (clusterIP !== undefined) out.clusterIP = clusterIP;
  if (type === 'ExternalName' && spec.externalName) out.externalName = spec.externalName;
  if (spec.selector) out.selector = spec.selector;
  return out;
}

/** `namespace/service-name` a slice belongs to, or undefined when it is not a Service's. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const svcName = labelValue(slice.metadata?.labels, SERVICE_NAME_LABEL);
  return svcName ? `${slice.metadata?.namespace ?? ''}/${svcName}` : undefined;
}

/** Index slices by service key in one pass. */
export function indexSlices(slices: Iterable<EndpointSlice>): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const key = sliceServiceKey(slice);
    if (key === undefined) continue;
    const list = out.get(key);
    if (list === undefined) out.set(key, [slice]);
    else list.push(slice);
  }
  return out;
}

/** Every service's desired model, keyed by `namespace/name`; O(services + endpoints). */
export function desiredServices(services: Iterable<Service>, slices: Iterable<EndpointSlice>, options: ServiceModelOptions = {}): Map<string, DesiredService> {
  const bySvc = indexSlices(slices);
  const out = new Map<string, DesiredService>();
  for (const svc of services) {
    const key = objectKey(svc);
    out.set(key, desiredService(svc, bySvc.get(key) ?? [], options));
  }
  return out;
}

/**
 * The backends new connections to `frontend` may go to from `nodeName`, as kube-proxy picks
 * them: active ones; if none, serving-terminating ones. With traffic policy Local only those on
 * `nodeName` (none = the datapath drops: "no service backends").
 */
export function selectableBackends(frontend: Frontend, nodeName: string | undefined): Backend[] {
  const candidates = frontend.trafficPolicy === 'Local' ? frontend.backends.filter((b) => b.nodeName !== undefined && b.nodeName === nodeName) : frontend.backends;
  const active = candidates.filter((b) => b.state === 'active');
  return active.length > 0 ? active : candidates.filter((b) => b.state === 'terminating');
}

/**
 * The backends a node's datapath should hold for `frontend`: active and terminating ones
 * (terminating ones let established connections drain and serve as the fallback), local only
 * for traffic policy Local. Excluded backends are never programmed.
 */
export function programmableBackends(frontend: Frontend, nodeName: string | undefined): Backend[] {
  return frontend.backends.filter(
    (b) => b.state !== 'excluded' && (frontend.trafficPolicy !== 'Local' || (b.nodeName !== undefined && b.nodeName === nodeName)),
  );
}
