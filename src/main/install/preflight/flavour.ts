// Cluster flavour from node labels, providerIDs, kubelet versions and context/server names (pure), and the install defaults each flavour implies.
import type { Flavour } from '../../../shared/contract/index.js';

export interface NodeLike {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { providerID?: string; podCIDR?: string; podCIDRs?: string[] };
  status?: {
    nodeInfo?: { kernelVersion?: string; kubeletVersion?: string };
    addresses?: { type: string; address: string }[];
    conditions?: { type: string; status: string }[];
  };
}

export interface FlavourResult {
  flavour: Flavour;
  evidence: string;
}

interface Rule {
  flavour: Flavour;
  /** Evidence when the rule matches a node, else null. */
  node?: (n: NodeLike) => string | null;
  /** Evidence from the context name or the server URL. */
  name?: (context: string, server: string) => string | null;
}

const label = (key: string, value?: string) => (n: NodeLike): string | null => {
  const v = n.metadata.labels?.[key];
  return v !== undefined && (value === undefined || v === value) ? `node ${n.metadata.name} has label ${key}=${v}` : null;
};
const provider = (prefix: string) => (n: NodeLike): string | null =>
  n.spec?.providerID?.startsWith(prefix) ? `node ${n.metadata.name} has providerID ${n.spec.providerID}` : null;
const anyOf = (...fs: ((n: NodeLike) => string | null)[]) => (n: NodeLike): string | null => {
  for (const f of fs) {
    const r = f(n);
    if (r) return r;
  }
  return null;
};

// Order matters: the Lumen lab first (its nodes carry our own label), managed clouds before kind/k3s.
const rules: Rule[] = [
  { flavour: 'lab', node: label('lumen.dev/lab', 'true') },
  { flavour: 'gke', node: anyOf(label('cloud.google.com/gke-nodepool'), provider('gce://')), name: (c, s) => (c.startsWith('gke_') ? `context name ${c}` : /\.gke\.goog|container\.googleapis/.test(s) ? `server ${s}` : null) },
  { flavour: 'eks', node: anyOf(label('eks.amazonaws.com/nodegroup'), provider('aws://')), name: (c, s) => (/^arn:aws[^:]*:eks:/.test(c) ? `context name ${c}` : /\.eks\.amazonaws\.com/.test(s) ? `server ${s}` : null) },
  { flavour: 'aks', node: anyOf(label('kubernetes.azure.com/cluster'), provider('azure://')), name: (_c, s) => (/\.azmk8s\.io/.test(s) ? `server ${s}` : null) },
  { flavour: 'kind', node: provider('kind://'), name: (c) => (c.startsWith('kind-') ? `context name ${c}` : null) },
  { flavour: 'minikube', node: label('minikube.k8s.io/name'), name: (c) => (c === 'minikube' ? `context name ${c}` : null) },
  {
    flavour: 'k3s',
    node: anyOf(label('node.kubernetes.io/instance-type', 'k3s'), (n) => (/\+k3s/.test(n.status?.nodeInfo?.kubeletVersion ?? '') ? `node ${n.metadata.name} runs kubelet ${n.status!.nodeInfo!.kubeletVersion}` : null)),
  },
];

export function detectFlavour(nodes: readonly NodeLike[], context: string, server: string): FlavourResult {
  for (const rule of rules) {
    for (const n of nodes) {
      const evidence = rule.node?.(n);
      if (evidence) return { flavour: rule.flavour, evidence };
    }
  }
  for (const rule of rules) {
    const evidence = rule.name?.(context, server);
    if (evidence) return { flavour: rule.flavour, evidence };
  }
  return { flavour: 'generic', evidence: 'no known node label, providerID or context name' };
}

export const flavourNames: Record<Flavour, string> = {
  lab: 'the Lumen lab',
  kind: 'kind',
  minikube: 'minikube',
  k3s: 'k3s',
  gke: 'Google Kubernetes Engine',
  eks: 'Amazon EKS',
  aks: 'Azure Kubernetes Service',
  generic: 'a Kubernetes cluster of no known flavour',
};

/** What each flavour means for the install, shown under the flavour check. */
export const flavourNotes: Record<Flavour, string[]> = {
  lab: [
    'The lab maps the agent image and the check images to local programs: nothing is pulled.',
    'Pods get routes to the lab\'s ranges only (pod-routes=restricted): no lab namespace may reach outside networks.',
  ],
  kind: [
    'Create the cluster with networking.disableDefaultCNI: true (and kubeProxyMode: none to let Lumen replace kube-proxy).',
    'Load the agent image into the nodes first: kind load docker-image <image>.',
  ],
  minikube: ['Start minikube with --cni=false (or a bridge CNI you remove) so Lumen\'s CNI is the only one.'],
  k3s: ['k3s embeds flannel and kube-proxy: start it with --flannel-backend=none --disable-network-policy (and --disable-kube-proxy to replace kube-proxy).'],
  gke: ['GKE clusters come with their own dataplane; use a cluster created without Dataplane V2 and with network policy disabled.'],
  eks: ['EKS runs the AWS VPC CNI (aws-node): remove it or use a node group without it before installing.'],
  aks: ['AKS needs a cluster created with --network-plugin none ("bring your own CNI").'],
  generic: [],
};

/** "6.18.44-fc-v669" → [6, 18]; null when the string has no version. */
export function kernelVersion(text: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export function versionAtLeast(v: readonly [number, number], min: readonly [number, number]): boolean {
  return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
}

/** Node address the console and the agents use: InternalIP, else the first address. */
export function nodeAddress(n: NodeLike): string | null {
  const addresses = n.status?.addresses ?? [];
  return addresses.find((a) => a.type === 'InternalIP')?.address ?? addresses[0]?.address ?? null;
}

export function nodeReady(n: NodeLike): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
