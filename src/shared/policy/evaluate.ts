// evaluate(): the verdict Kubernetes NetworkPolicy gives one connection, with the policies and
// rules that decided it — egress of the source pod and ingress of the destination pod.
import { formatIpv4, parseIpv4, ReservedIdentity } from '../k8s/index.js';
import { describeAllowed, describeDenied } from './describe.js';
import { ruleMatches, protocolNumber, type Remote } from './match.js';
import {
  buildPolicyModel,
  isPolicyModel,
  makeIdentityInfo,
  remoteNodeAddresses,
  selectingPolicies,
  type IdentityInfo,
  type ModelEndpoint,
  type PolicyModel,
} from './model.js';
import { RULE_ID_HOST } from './rule-ids.js';
import type { Direction, DirectionVerdict, FlowPeer, FlowVerdict, PolicyEndpoint, PolicyFlow, PolicyInputs, RemoteKind, RuleMatch } from './types.js';

type Side =
  | { kind: 'pod'; ep: ModelEndpoint; address: number | undefined }
  | { kind: 'address'; address: number };

function adHocEndpoint(model: PolicyModel, ep: PolicyEndpoint): ModelEndpoint {
  let identity: IdentityInfo | undefined = model.identities.get(ep.identity);
  const fresh = makeIdentityInfo(ep.identity, ep.labels);
  if (identity === undefined) {
    identity = fresh;
    identity.addresses = ep.ips.map((ip) => parseIpv4(ip)).filter((a): a is number => a !== undefined).sort((a, b) => a - b);
    identity.ports = [...(ep.ports ?? [])];
  } else if (identity.canonical !== fresh.canonical) {
    throw new Error(`evaluate: endpoint ${ep.name ?? ''} has identity ${ep.identity} but labels {${fresh.canonical}} instead of {${identity.canonical}}`);
  }
  if (identity.view.namespace === undefined) throw new Error(`evaluate: endpoint ${ep.name ?? ''} labels lack ns:kubernetes.io/metadata.name`);
  const addresses = ep.ips.map((ip) => parseIpv4(ip)).filter((a): a is number => a !== undefined);
  return { endpoint: ep, identity, addresses, nodeName: ep.nodeName, name: ep.name ?? `${identity.view.namespace}/<identity ${ep.identity}>`, ports: ep.ports ?? [] };
}

function resolveSide(model: PolicyModel, peer: FlowPeer, what: string): Side {
  if ('endpoint' in peer) {
    const ep = peer.endpoint;
    const first = ep.ips.length > 0 ? parseIpv4(ep.ips[0]!) : undefined;
    const byIp = first !== undefined ? model.endpointsByIp.get(first) : undefined;
    const known = (ep.id !== undefined ? model.endpointsById.get(ep.id) : undefined) ?? (byIp?.identity.id === ep.identity ? byIp : undefined);
    const me = known ?? adHocEndpoint(model, ep);
    return { kind: 'pod', ep: me, address: me.addresses[0] };
  }
  const address = parseIpv4(peer.ip);
  if (address === undefined) throw new Error(`evaluate: flow ${what} is not an IPv4 address: ${JSON.stringify(peer.ip)}`);
  const ep = model.endpointsByIp.get(address);
  return ep !== undefined ? { kind: 'pod', ep, address } : { kind: 'address', address };
}

/** What the local endpoint sees the other side as (the evaluator's ipcache). */
function remoteOf(model: PolicyModel, side: Side, localNode: string | undefined): { remote: Remote; kind: RemoteKind; identity: number } {
  if (side.kind === 'pod') return { remote: { kind: 'pod', identity: side.ep.identity }, kind: 'pod', identity: side.ep.identity.id };
  const node = model.nodeByAddress.get(side.address);
  if (node !== undefined && node === localNode) return { remote: { kind: 'host' }, kind: 'host', identity: ReservedIdentity.host };
  if (node !== undefined) {
    return { remote: { kind: 'remote-node', addresses: remoteNodeAddresses(model, localNode) }, kind: 'remote-node', identity: ReservedIdentity.remoteNode };
  }
  if (model.apiserverAddresses.includes(side.address)) {
    return { remote: { kind: 'kube-apiserver', addresses: model.apiserverAddresses }, kind: 'kube-apiserver', identity: ReservedIdentity.kubeApiserver };
  }
  return { remote: { kind: 'world', address: side.address }, kind: 'world', identity: ReservedIdentity.world };
}

function notApplicable(direction: Direction, other: Side, model: PolicyModel, self: Side): DirectionVerdict {
  const who = direction === 'egress' ? 'source' : 'destination';
  const addr = self.kind === 'address' ? formatIpv4(self.address) : '';
  const { kind, identity } = remoteOf(model, other, undefined);
  return {
    direction,
    applies: false,
    remote: { kind, identity },
    enforced: false,
    audit: false,
    allowed: true,
    wouldDeny: false,
    selectedBy: [],
    allowedBy: [],
    reason: `${direction}: not checked, the ${who} ${addr} is not a cluster pod`,
  };
}

/** The check of one direction for a local pod endpoint against a remote. */
export function checkDirection(
  model: PolicyModel,
  local: ModelEndpoint,
  direction: Direction,
  remoteSide: { remote: Remote; kind: RemoteKind; identity: number; ip?: string; name?: string },
  protocol: number,
  port: number,
): DirectionVerdict {
  const selected = selectingPolicies(model, local.identity, direction);
  const selectedBy = selected.map((p) => p.key);
  const mode = model.enforcement;
  const enforced = mode === 'always' || (mode === 'default' && selected.length > 0);
  const audit = enforced && model.auditNamespaces.has(local.identity.view.namespace ?? '');
  const remote = { kind: remoteSide.kind, identity: remoteSide.identity } as DirectionVerdict['remote'];
  if (remoteSide.ip !== undefined) remote.ip = remoteSide.ip;
  if (remoteSide.name !== undefined) remote.name = remoteSide.name;
  const base = { direction, applies: true, endpoint: local.name, remote, enforced, audit, selectedBy };

  if (remoteSide.remote.kind === 'host') {
    const allowedBy: RuleMatch[] = [{ ruleId: RULE_ID_HOST, ref: { kind: 'host' } }];
    return { ...base, allowed: true, wouldDeny: false, allowedBy, reason: `${direction}: ${describeAllowed(allowedBy.map((m) => m.ref))}` };
  }
  // Named ports resolve on the destination: the local pod for ingress, the remote for egress.
  const namedPorts = direction === 'ingress' ? local.ports : remoteSide.remote.kind === 'pod' ? remoteSide.remote.identity.ports : [];
  const allowedBy: RuleMatch[] = [];
  for (const policy of selected) {
    for (const rule of policy[direction] ?? []) {
      const m = ruleMatches(rule, policy.namespace, remoteSide.remote, protocol, port, namedPorts);
      if (m === undefined) continue;
      const match: RuleMatch = { ruleId: rule.ruleId, ref: { kind: 'policy', policy: policy.key, direction, ruleIndex: rule.index } };
      if (m.peerIndex !== undefined) match.peerIndex = m.peerIndex;
      if (m.portIndex !== undefined) match.portIndex = m.portIndex;
      allowedBy.push(match);
    }
  }
  if (!enforced) {
    const why = mode === 'never' ? "enforcement mode 'never'" : `no policy selects ${local.name} for ${direction}`;
    return { ...base, allowed: true, wouldDeny: false, allowedBy, reason: `${direction}: not isolated (${why})` };
  }
  if (allowedBy.length > 0) {
    return { ...base, allowed: true, wouldDeny: false, allowedBy, reason: `${direction}: ${describeAllowed(allowedBy.map((m) => m.ref))}` };
  }
  const denied = describeDenied(selectedBy, mode);
  if (audit) {
    return { ...base, allowed: true, wouldDeny: true, allowedBy, reason: `${direction}: would be ${denied} (audit mode, passed)` };
  }
  return { ...base, allowed: false, wouldDeny: false, allowedBy, reason: `${direction}: ${denied}` };
}

function sideName(side: Side): { ip?: string; name?: string } {
  const out: { ip?: string; name?: string } = {};
  if (side.address !== undefined) out.ip = formatIpv4(side.address);
  if (side.kind === 'pod') out.name = side.ep.name;
  return out;
}

/**
 * The verdict for a connection from `flow.src` to `flow.dst` on (protocol, destination port).
 * Accepts a model (buildPolicyModel) or raw inputs (built on the fly: build once when
 * evaluating many flows). Throws on malformed flows (bad address or protocol).
 */
export function evaluate(modelOrInputs: PolicyModel | PolicyInputs, flow: PolicyFlow): FlowVerdict {
  const model = isPolicyModel(modelOrInputs) ? modelOrInputs : buildPolicyModel(modelOrInputs);
  const protocol = protocolNumber(flow.protocol);
  if (!Number.isInteger(flow.port) || flow.port < 0 || flow.port > 65535) throw new Error(`evaluate: flow port out of range: ${flow.port}`);
  const src = resolveSide(model, flow.src, 'source');
  const dst = resolveSide(model, flow.dst, 'destination');

  if (src.kind === 'pod' && dst.kind === 'pod' && src.ep === dst.ep) {
    // Kubernetes: a pod cannot block access to itself.
    const self = (direction: Direction): DirectionVerdict => ({
      direction,
      applies: true,
      endpoint: src.ep.name,
      remote: { kind: 'pod', identity: src.ep.identity.id, ...sideName(src) },
      enforced: false,
      audit: false,
      allowed: true,
      wouldDeny: false,
      selectedBy: selectingPolicies(model, src.ep.identity, direction).map((p) => p.key),
      allowedBy: [],
      reason: `${direction}: a pod can always reach itself`,
    });
    return { allowed: true, wouldDeny: false, egress: self('egress'), ingress: self('ingress'), reason: 'allowed: a pod can always reach itself' };
  }

  const egress =
    src.kind === 'pod'
      ? checkDirection(model, src.ep, 'egress', { ...remoteOf(model, dst, src.ep.nodeName), ...sideName(dst) }, protocol, flow.port)
      : notApplicable('egress', dst, model, src);
  const ingress =
    dst.kind === 'pod'
      ? checkDirection(model, dst.ep, 'ingress', { ...remoteOf(model, src, dst.ep.nodeName), ...sideName(src) }, protocol, flow.port)
      : notApplicable('ingress', src, model, dst);

  const allowed = egress.allowed && ingress.allowed;
  const wouldDeny = allowed && (egress.wouldDeny || ingress.wouldDeny);
  let reason: string;
  if (!egress.applies && !ingress.applies) reason = 'allowed: no cluster pod on either side, NetworkPolicy does not apply';
  else if (!allowed) reason = !egress.allowed ? egress.reason : ingress.reason;
  else reason = [egress, ingress].filter((d) => d.applies).map((d) => d.reason).join('; ');
  return { allowed, wouldDeny, egress, ingress, reason };
}
