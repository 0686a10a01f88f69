// The Kubernetes resource shapes Lumen reads, as plain JSON interfaces (subset of the real API).
//
// Every field is optional exactly where the API makes it optional, and scalar types are the
// loosest the wire allows (protocol is `string`, timestamps `string | Date`), so objects from
// a raw JSON watch and from @kubernetes/client-node both fit without conversion. Code that reads
// these must treat absent and null alike (`x ?? default`): the API server omits empty fields.

export type Labels = Record<string, string>;

/** A port given as a number or as the name of a container port (intstr.IntOrString). */
export type IntOrString = number | string;

/** Transport protocols Kubernetes knows for ports. Other strings are invalid input. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: Labels;
  annotations?: Labels;
  ownerReferences?: OwnerReference[];
}

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
}

// ---- Label selectors (metav1.LabelSelector) ----

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  key: string;
  /** One of LabelSelectorOperator; typed `string` because input may carry anything. */
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

// ---- core/v1 Namespace, Node ----

export interface Namespace {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  status?: { phase?: string };
}

export interface NodeAddress {
  /** InternalIP, ExternalIP, Hostname, InternalDNS, ExternalDNS. */
  type: string;
  address: string;
}

export interface Node {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: { podCIDR?: string; podCIDRs?: string[]; unschedulable?: boolean; providerID?: string };
  status?: {
    addresses?: NodeAddress[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    nodeInfo?: { kubeletVersion?: string; osImage?: string; kernelVersion?: string };
  };
}

// ---- core/v1 Pod ----

export interface ContainerPort {
  name?: string;
  containerPort: number;
  /** Defaults to TCP. */
  protocol?: string;
  hostPort?: number;
  hostIP?: string;
}

export interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[];
  /** Only meaningful on init containers: 'Always' makes it a sidecar that keeps running. */
  restartPolicy?: string;
}

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string | Date;
}

export interface PodIP {
  ip: string;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    containers?: Container[];
    initContainers?: Container[];
    nodeName?: string;
    hostNetwork?: boolean;
    serviceAccountName?: string;
  };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: PodIP[];
    hostIP?: string;
    hostIPs?: PodIP[];
    conditions?: PodCondition[];
    reason?: string;
    message?: string;
  };
}

// ---- core/v1 Service ----

export interface ServicePort {
  name?: string;
  /** Defaults to TCP. */
  protocol?: string;
  port: number;
  /** A number, or the name of a container port resolved per pod (through EndpointSlices). */
  targetPort?: IntOrString;
  nodePort?: number;
  appProtocol?: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  /** 'VIP' (default) or 'Proxy': with Proxy the load balancer does not hand us the VIP. */
  ipMode?: string;
}

export interface Service {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    /** ClusterIP (default), NodePort, LoadBalancer, ExternalName. */
    type?: string;
    selector?: Labels;
    clusterIP?: string;
    clusterIPs?: string[];
    ipFamilies?: string[];
    ipFamilyPolicy?: string;
    ports?: ServicePort[];
    externalIPs?: string[];
    externalName?: string;
    /** 'None' (default) or 'ClientIP'. */
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    /** 'Cluster' (default) or 'Local'; applies to NodePort, LoadBalancer and external IPs. */
    externalTrafficPolicy?: string;
    /** 'Cluster' (default) or 'Local'; applies to the cluster IP. */
    internalTrafficPolicy?: string;
    healthCheckNodePort?: number;
    loadBalancerIP?: string;
    loadBalancerSourceRanges?: string[];
    allocateLoadBalancerNodePorts?: boolean;
    publishNotReadyAddresses?: boolean;
    trafficDistribution?: string;
  };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

// ---- discovery.k8s.io/v1 EndpointSlice ----

export interface EndpointConditions {
  /** nil means true. */
  ready?: boolean;
  /** nil means true. */
  serving?: boolean;
  /** nil means false. */
  terminating?: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
}

export interface EndpointPort {
  /** Matches the Service port's name ('' or absent for the single unnamed port). */
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  /** IPv4, IPv6 or FQDN. */
  addressType: string;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

// ---- networking.k8s.io/v1 NetworkPolicy ----

export interface IPBlock {
  cidr: string;
  except?: string[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  /** Defaults to TCP. */
  protocol?: string;
  port?: IntOrString;
  endPort?: number;
}

export interface NetworkPolicyIngressRule {
  ports?: NetworkPolicyPort[];
  from?: NetworkPolicyPeer[];
}

export interface NetworkPolicyEgressRule {
  ports?: NetworkPolicyPort[];
  to?: NetworkPolicyPeer[];
}

export type PolicyType = 'Ingress' | 'Egress';

export interface NetworkPolicySpec {
  /** Required by the API; empty selects every pod of the policy's namespace. */
  podSelector?: LabelSelector;
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
  /** Values 'Ingress' | 'Egress'; typed `string` because input may carry anything. */
  policyTypes?: string[];
}

export interface NetworkPolicy {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: NetworkPolicySpec;
}

/** `namespace/name` of a namespaced object, the key Lumen uses in tables and messages. */
export function objectKey(obj: { metadata?: ObjectMeta } | undefined): string {
  const meta = obj?.metadata;
  return `${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
}
