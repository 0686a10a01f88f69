// One table row per Service for the console: type, frontends as text, backend counts by state,
// affinity and traffic policies. Derived from the desired model only.
import type { DesiredService, Frontend } from './model.js';

export interface ServiceSummary {
  key: string;
  namespace: string;
  name: string;
  type: DesiredService['type'];
  clusterIP?: string;
  /** `80/TCP→8080`, `53/UDP→dns` (service port → target port). */
  ports: string[];
  /** `10.96.0.10:80/TCP`, `NodePort 30080/TCP`, `203.0.113.9:80/TCP (external)`, `… (LB)`. */
  frontends: string[];
  nodePorts: number[];
  externalIPs: string[];
  /** Distinct endpoint addresses: total, ready, serving (includes ready), terminating. */
  backends: { total: number; ready: number; serving: number; terminating: number };
  sessionAffinity: 'None' | 'ClientIP';
  affinityTimeoutSeconds?: number;
  externalTrafficPolicy: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
  headless: boolean;
}

function frontendText(f: Frontend): string {
  switch (f.kind) {
    case 'ClusterIP':
      return `${f.ip}:${f.port}/${f.protocol}`;
    case 'ExternalIP':
      return `${f.ip}:${f.port}/${f.protocol} (external)`;
    case 'LoadBalancer':
      return `${f.ip}:${f.port}/${f.protocol} (LB)`;
    case 'NodePort':
      return `NodePort ${f.port}/${f.protocol}`;
  }
}

export function summarizeService(svc: DesiredService): ServiceSummary {
  const frontends: string[] = [];
  for (const f of svc.frontends) {
    const text = frontendText(f);
    if (!frontends.includes(text)) frontends.push(text); // NodePorts repeat per node address
  }
  for (const p of svc.ports) {
    // Without node addresses (console) NodePorts still show.
    const text = p.nodePort !== undefined ? `NodePort ${p.nodePort}/${p.protocol}` : undefined;
    if (text !== undefined && !frontends.includes(text)) frontends.push(text);
  }
  const out: ServiceSummary = {
    key: svc.key,
    namespace: svc.namespace,
    name: svc.name,
    type: svc.type,
    ports: svc.ports.map((p) => `${p.port}/${p.protocol}→${p.targetPort}`),
    frontends,
    nodePorts: svc.ports.flatMap((p) => (p.nodePort !== undefined ? [p.nodePort] : [])),
    externalIPs: svc.externalIPs,
    backends: svc.endpoints,
    sessionAffinity: svc.sessionAffinity.clientIP ? 'ClientIP' : 'None',
    externalTrafficPolicy: svc.externalTrafficPolicy,
    internalTrafficPolicy: svc.internalTrafficPolicy,
    headless: svc.headless,
  };
  if (svc.clusterIP !== undefined) out.clusterIP = svc.clusterIP;
  if (svc.sessionAffinity.timeoutSeconds !== undefined) out.affinityTimeoutSeconds = svc.sessionAffinity.timeoutSeconds;
  return out;
}
