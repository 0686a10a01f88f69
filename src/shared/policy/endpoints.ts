// Helpers to feed the model: a Pod -> PolicyEndpoint, and policy selection for raw labels.
import { podContainerPorts, podIpv4s, securityLabels, type Labels, type Namespace, type Pod } from '../k8s/index.js';
import { makeIdentityInfo, selectingPolicies, type PolicyModel } from './model.js';
import type { Direction, PolicyEndpoint } from './types.js';

/**
 * The policy view of a pod with its allocated identity. Undefined for host-network pods: they
 * are not endpoints (they carry their node's identity). `id` is the datapath endpoint id
 * (needed only for endpoints you compile).
 */
export function policyEndpointFromPod(pod: Pod, namespace: Namespace | undefined, identity: number, id?: number): PolicyEndpoint | undefined {
  if (pod.spec?.hostNetwork) return undefined;
  const ep: PolicyEndpoint = {
    identity,
    labels: securityLabels(pod, namespace),
    ips: podIpv4s(pod),
    ports: podContainerPorts(pod),
    name: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`,
  };
  if (id !== undefined) ep.id = id;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  return ep;
}

/** `ns/name` of the policies selecting a set of security labels for a direction. */
export function policiesSelecting(model: PolicyModel, labels: Labels, direction: Direction): string[] {
  return selectingPolicies(model, makeIdentityInfo(0, labels), direction).map((p) => p.key);
}
