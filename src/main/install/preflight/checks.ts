// The preflight checks as pure functions of gathered cluster facts: each says pass/warn/fail, why it matters and what to do.
import type { PreflightCheck } from '../../../shared/contract/index.js';
import { needLabel, type AccessAnswer } from './permissions.js';
import { flavourNames, flavourNotes, kernelVersion, nodeReady, versionAtLeast, type FlavourResult, type NodeLike } from './flavour.js';

/**
 * Oldest API server the manifests work with: the DaemonSet sets securityContext.appArmorProfile
 * (a field since 1.30), and server-side apply refuses fields a server does not know.
 */
export const MIN_KUBERNETES: readonly [number, number] = [1, 30];
/** Newest minor the install was tested against (the lab's). */
export const TESTED_KUBERNETES: readonly [number, number] = [1, 36];

/**
 * Oldest kernel the datapath loads on: bpf_loop (5.17) bounds the service LB's backend
 * probing; it also needs the BPF ring buffer (5.8), bpf_link for cgroup hooks (5.7),
 * getpeername4/recvmsg4 socket hooks (5.8), bpf_redirect_neigh (5.10) and memcg-accounted
 * BPF memory instead of RLIMIT_MEMLOCK (5.11), and BTF at /sys/kernel/btf/vmlinux for CO-RE.
 */
export const MIN_KERNEL: readonly [number, number] = [5, 17];

export interface DaemonSetLike {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { template?: { spec?: { containers?: { name: string; image?: string; imagePullPolicy?: string; env?: { name: string; value?: string }[] }[] } } };
  status?: { desiredNumberScheduled?: number; numberReady?: number };
}

export type Fact<T> = { ok: true; value: T } | { ok: false; error: string };

export function check(id: string, title: string, status: PreflightCheck['status'], summary: string, why: string, action: string | null, details: string[] = []): PreflightCheck {
  return { id, title, status, summary, why, action, details };
}

export function apiVersionCheck(version: Fact<{ gitVersion: string; major: string; minor: string }>): PreflightCheck {
  const why = `Lumen's manifests use fields of Kubernetes ${MIN_KUBERNETES.join('.')}+ (server-side apply rejects unknown fields).`;
  if (!version.ok) return check('api-version', 'API server version', 'fail', `could not read the server version: ${version.error}`, why, 'Check the connection to the cluster.');
  const major = Number(version.value.major.replace(/\D/g, ''));
  const minor = Number(version.value.minor.replace(/\D/g, ''));
  if (!Number.isFinite(major) || !Number.isFinite(minor) || Number.isNaN(major) || Number.isNaN(minor)) {
    return check('api-version', 'API server version', 'warn', `the server reports ${version.value.gitVersion}, which has no readable major.minor`, why, 'Make sure the cluster runs Kubernetes 1.30 or newer.');
  }
  if (!versionAtLeast([major, minor], MIN_KUBERNETES)) {
    return check('api-version', 'API server version', 'fail', `Kubernetes ${version.value.gitVersion} is older than ${MIN_KUBERNETES.join('.')}`, why, `Upgrade the cluster to Kubernetes ${MIN_KUBERNETES.join('.')} or newer.`);
  }
  if (!versionAtLeast(TESTED_KUBERNETES, [major, minor])) {
    return check('api-version', 'API server version', 'warn', `Kubernetes ${version.value.gitVersion} is newer than the newest tested (${TESTED_KUBERNETES.join('.')})`, why, 'It should work; report anything odd.');
  }
  return check('api-version', 'API server version', 'pass', `Kubernetes ${version.value.gitVersion} is supported`, why, null);
}

export function permissionsCheck(answers: Fact<AccessAnswer[]>): PreflightCheck {
  const why = 'The install creates cluster-wide objects (CRDs, RBAC) and a DaemonSet, follows its pods and runs a connectivity check; a missing permission fails it halfway.';
  if (!answers.ok) return check('permissions', 'Your permissions', 'fail', `could not check permissions: ${answers.error}`, why, 'Check the connection and that SelfSubjectAccessReviews are allowed.');
  const missing = answers.value.filter((a) => !a.allowed);
  if (missing.length === 0) return check('permissions', 'Your permissions', 'pass', `all ${answers.value.length} permissions the install uses are granted`, why, null);
  return check(
    'permissions', 'Your permissions', 'fail',
    `${missing.length} of ${answers.value.length} permissions the install uses are missing`,
    why,
    'Ask a cluster admin for these permissions (cluster-admin has them all), or let an admin run the install.',
    missing.map((m) => `${needLabel(m)} — to ${m.why}${m.reason ? ` (${m.reason})` : ''}`),
  );
}

export function kernelCheck(nodes: Fact<NodeLike[]>): PreflightCheck {
  const why = `The eBPF datapath needs Linux ${MIN_KERNEL.join('.')}+ (bpf_loop 5.17, ring buffer 5.8, cgroup bpf_link 5.7, BTF for CO-RE).`;
  const title = 'Node kernels';
  if (!nodes.ok) return check('kernel', title, 'warn', `could not read the nodes: ${nodes.error}`, why, 'Make sure every node runs a kernel new enough; agents on older kernels fail to load the datapath.');
  if (nodes.value.length === 0) return check('kernel', title, 'fail', 'the cluster has no nodes', why, 'Add nodes first: the agent runs on every node.');
  const old: string[] = [];
  const backport: string[] = [];
  const unknown: string[] = [];
  const details = nodes.value.map((n) => {
    const k = n.status?.nodeInfo?.kernelVersion ?? '';
    const v = kernelVersion(k);
    if (!v) unknown.push(n.metadata.name);
    else if (!versionAtLeast(v, MIN_KERNEL)) (/\.el9/.test(k) ? backport : old).push(n.metadata.name);
    return `${n.metadata.name}: ${k || 'unknown'}`;
  });
  if (old.length > 0) {
    return check('kernel', title, 'fail', `${old.length} node(s) run a kernel older than ${MIN_KERNEL.join('.')}: ${old.join(', ')}`, why, `Upgrade the kernel of ${old.join(', ')} (or keep those nodes out of the cluster).`, details);
  }
  if (backport.length > 0 || unknown.length > 0) {
    return check('kernel', title, 'warn',
      backport.length > 0 ? `${backport.join(', ')} run an RHEL 9 kernel that reports an older version but backports BPF features` : `${unknown.join(', ')} report no kernel version`,
      why, 'The agent on those nodes reports whether the datapath loaded; watch the rollout.', details);
  }
  return check('kernel', title, 'pass', `every node runs ${MIN_KERNEL.join('.')} or newer`, why, null, details);
}

/** Known CNIs: DaemonSet names and labels, and node annotations they leave. */
const knownCnis: { name: string; ds: RegExp; label?: [string, string] }[] = [
  { name: 'Calico', ds: /^(calico-node|canal)$/, label: ['k8s-app', 'calico-node'] },
  { name: 'Flannel', ds: /^(kube-)?flannel(-ds)?/, label: ['app', 'flannel'] },
  { name: 'Cilium', ds: /^(cilium|anetd)$/, label: ['k8s-app', 'cilium'] },
  { name: 'Weave Net', ds: /^weave-net$/, label: ['name', 'weave-net'] },
  { name: 'kindnet', ds: /^kindnet/, label: ['app', 'kindnet'] },
  { name: 'AWS VPC CNI', ds: /^aws-node$/, label: ['k8s-app', 'aws-node'] },
  { name: 'Antrea', ds: /^antrea-agent$/, label: ['component', 'antrea-agent'] },
  { name: 'kube-router', ds: /^kube-router$/, label: ['k8s-app', 'kube-router'] },
  { name: 'OVN-Kubernetes', ds: /^ovnkube-node$/ },
  { name: 'Kube-OVN', ds: /^kube-ovn-cni$/ },
  { name: 'Azure CNI', ds: /^(azure-cns|azure-cni-networkmonitor)$/ },
  { name: 'GKE netd', ds: /^netd$/ },
];
const cniAnnotations: [RegExp, string][] = [[/^projectcalico\.org\//, 'Calico'], [/^flannel\.alpha\.coreos\.com\//, 'Flannel'], [/^io\.cilium\./, 'Cilium'], [/^kube-ovn\./, 'Kube-OVN']];

export function findCnis(daemonSets: readonly DaemonSetLike[], nodes: readonly NodeLike[]): string[] {
  const found = new Set<string>();
  for (const ds of daemonSets) {
    if (ds.metadata.labels?.['app.kubernetes.io/part-of'] === 'lumen') continue;
    for (const cni of knownCnis) {
      const byLabel = cni.label && ds.metadata.labels?.[cni.label[0]] === cni.label[1];
      if (cni.ds.test(ds.metadata.name) || byLabel) found.add(`${cni.name} (DaemonSet ${ds.metadata.namespace}/${ds.metadata.name})`);
    }
  }
  for (const n of nodes) {
    for (const key of Object.keys(n.metadata.annotations ?? {})) {
      for (const [re, name] of cniAnnotations) if (re.test(key) && ![...found].some((f) => f.startsWith(name))) found.add(`${name} (node annotation ${key} on ${n.metadata.name})`);
    }
  }
  return [...found];
}

export function cniCheck(daemonSets: Fact<DaemonSetLike[]>, nodes: readonly NodeLike[], flavour: FlavourResult): PreflightCheck {
  const why = 'A node uses the first CNI config in /etc/cni/net.d: Lumen\'s (05-lumen.conflist) takes over new pods, but a second CNI agent keeps programming routes and may rewrite the config.';
  const title = 'Existing CNI';
  if (!daemonSets.ok) return check('cni', title, 'warn', `could not list DaemonSets to look for another CNI: ${daemonSets.error}`, why, 'Make sure no other CNI (Calico, Flannel, Cilium...) runs on the cluster.');
  const cnis = findCnis(daemonSets.value, nodes);
  if (cnis.length === 0) {
    const lab = flavour.flavour === 'lab' ? ' (the lab\'s nodes use a plain ptp config until Lumen\'s takes over)' : '';
    return check('cni', title, 'pass', `no other CNI found${lab}`, why, null);
  }
  return check('cni', title, 'warn', `another CNI runs on this cluster: ${cnis.map((c) => c.split(' (')[0]).join(', ')}`, why,
    'Remove it before installing (or install on a cluster created without a CNI); pods created before the install keep their old network until they are recreated.', cnis);
}

export interface KubeProxyFacts {
  daemonSets: Fact<DaemonSetLike[]>;
  /** Pods labelled k8s-app=kube-proxy in kube-system (static pods of kubeadm-like setups). */
  pods: Fact<{ metadata: { name: string } }[]>;
}

/** Whether kube-proxy runs, and the evidence. */
export function findKubeProxy(facts: KubeProxyFacts, flavour: FlavourResult): { present: boolean; evidence: string | null } {
  if (facts.daemonSets.ok) {
    const ds = facts.daemonSets.value.find((d) => d.metadata.name === 'kube-proxy' || d.metadata.labels?.['k8s-app'] === 'kube-proxy');
    if (ds) return { present: true, evidence: `DaemonSet ${ds.metadata.namespace}/${ds.metadata.name}` };
  }
  if (facts.pods.ok && facts.pods.value.length > 0) return { present: true, evidence: `${facts.pods.value.length} kube-proxy pod(s) in kube-system (${facts.pods.value[0]!.metadata.name}...)` };
  if (flavour.flavour === 'k3s') return { present: true, evidence: 'k3s runs kube-proxy inside its own process unless started with --disable-kube-proxy' };
  return { present: false, evidence: null };
}

export function kubeProxyCheck(found: { present: boolean; evidence: string | null }, lookedUp: boolean): PreflightCheck {
  const title = 'kube-proxy';
  const why = 'Lumen can load-balance Services in eBPF (replace kube-proxy) or leave Services to kube-proxy; both programming the same Services at once is wasted work.';
  if (found.present) {
    return check('kube-proxy', title, 'warn', `kube-proxy runs on this cluster (${found.evidence})`, why,
      'Choose in Options: keep it (Lumen does networking, identities, policy and flows; kube-proxy keeps Services), or replace it (Lumen serves ClusterIP and NodePort in eBPF; afterwards delete the kube-proxy DaemonSet and run `kube-proxy --cleanup` on each node to remove its iptables rules).',
      found.evidence ? [found.evidence] : []);
  }
  if (!lookedUp) return check('kube-proxy', title, 'warn', 'could not look for kube-proxy (no permission to list DaemonSets or pods in kube-system)', why, 'If kube-proxy runs, choose "keep" in Options or remove it after the install.');
  return check('kube-proxy', title, 'pass', 'kube-proxy does not run: Lumen will serve Services (kube-proxy replacement)', why, null);
}

export function flavourCheck(flavour: FlavourResult, defaults: string[]): PreflightCheck {
  return check('flavour', 'Cluster flavour', 'pass', `${flavourNames[flavour.flavour]} (${flavour.evidence})`,
    'Each kind of cluster has its own CNI, kube-proxy and image habits; the options start from defaults that fit it.',
    null, [...flavourNotes[flavour.flavour], ...defaults]);
}

export interface ExistingInstall {
  namespace: string;
  version: string | null;
  objects: number;
}

export function existingCheck(existing: Fact<ExistingInstall | null>, toVersion: string): PreflightCheck {
  const title = 'Existing Lumen install';
  const why = 'An install already in the cluster is upgraded in place: the review shows what changes, and a failed upgrade can roll back to what is there now.';
  if (!existing.ok) return check('existing', title, 'warn', `could not look for an existing install: ${existing.error}`, why, null);
  if (!existing.value) return check('existing', title, 'pass', 'Lumen is not installed: this is a fresh install', why, null);
  const { namespace, version, objects } = existing.value;
  const newer = version !== null && compareVersions(version, toVersion) > 0;
  return check('existing', title, newer ? 'warn' : 'pass',
    `Lumen ${version ?? '(unknown version)'} is installed in ${namespace} (${objects} objects): this is ${version === toVersion ? 'a re-apply of the same version' : newer ? `a downgrade to ${toVersion}` : `an upgrade to ${toVersion}`}`,
    why, newer ? 'Downgrades are not tested; prefer installing the newer console.' : 'Review the diff before applying.');
}

export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.-]/).map((x) => Number(x) || 0);
  const pb = b.replace(/^v/, '').split(/[.-]/).map((x) => Number(x) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function nodeReadyList(nodes: readonly NodeLike[]): string[] {
  return nodes.filter((n) => !nodeReady(n)).map((n) => n.metadata.name);
}
