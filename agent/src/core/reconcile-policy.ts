// NetworkPolicy → policy map: builds the shared policy model from the caches, gives every
// ipBlock prefix a local CIDR identity, compiles the local endpoints, and writes entries and
// enforcement flags only for endpoints whose result changed (bumping their revision).
import { nodeIpv4s, podContainerPorts, type NetworkPolicy, type Node, type Pod } from '../../../src/shared/k8s/index.js';
import {
  assignCidrIdentities, buildPolicyModel, compile, requiredCidrs, type PolicyEndpoint, type PolicyInputs,
} from '../../../src/shared/policy/index.js';
import type { Enforcement } from '../../../src/shared/agent-api/index.js';
import type { IdentityObject } from '../identity/types.js';
import type { LumenEndpointObject } from '../endpoints/lumenendpoint.js';
import type { PolicyEntry } from '../datapath/port.js';
import { log } from '../log.js';
import type { AgentContext } from './context.js';
import { endpointEntry, type LocalEndpoint } from './endpoints.js';
import { lumenEndpointStatus } from './endpoint-status.js';
import { apiServerAddresses } from './reconcile-misc.js';
import type { RuleInfo } from './policy-state.js';

/** Policy writes are serialised: the reconcile loop and CNI ADDs both compile. */
let chain: Promise<unknown> = Promise.resolve();
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = chain.then(fn, fn);
  chain = run.catch(() => undefined);
  return run;
}

export function policyInputs(ctx: AgentContext): PolicyInputs {
  const identityLabels = new Map<number, Record<string, string>>();
  for (const obj of ctx.watches.cache<IdentityObject>('identities').snapshot().values()) {
    const o = obj as IdentityObject;
    const id = Number(o.metadata.name);
    if (Number.isInteger(id) && o.spec?.labels) identityLabels.set(id, o.spec.labels);
  }
  const pods = ctx.watches.cache<Pod>('pods');
  const endpoints: PolicyEndpoint[] = [];
  const seen = new Set<string>();
  for (const ep of ctx.endpoints.all()) {
    if (!ep.identity) continue;
    const pod = pods.get(`${ep.namespace}/${ep.pod}`) as Pod | undefined;
    identityLabels.set(ep.identity, ep.labels);
    endpoints.push({
      id: ep.id, identity: ep.identity, labels: ep.labels, ips: [ep.ip], nodeName: ctx.node.name,
      ports: pod ? podContainerPorts(pod) : [], name: `${ep.namespace}/${ep.pod}`,
    });
    seen.add(`${ep.namespace}/${ep.pod}`);
  }
  for (const obj of ctx.watches.cache<LumenEndpointObject>('lumenendpoints').snapshot().values()) {
    const le = obj as LumenEndpointObject;
    const key = `${le.metadata.namespace}/${le.metadata.name}`;
    const id = le.status?.identity?.id;
    if (seen.has(key) || !id || le.status?.node === ctx.node.name) continue;
    // Labels come from the Identity object when known: the model insists one id, one label set.
    const labels = identityLabels.get(id) ?? le.status?.identity.labels;
    if (!labels) continue;
    identityLabels.set(id, labels);
    const pod = pods.get(key) as Pod | undefined;
    endpoints.push({ identity: id, labels, ips: le.status?.ips ?? [], nodeName: le.status?.node, ports: pod ? podContainerPorts(pod) : [], name: key });
    seen.add(key);
  }
  const nodes = [...ctx.watches.cache<Node>('nodes').snapshot().values()].map((n) => ({
    name: (n as Node).metadata?.name ?? '', addresses: nodeIpv4s(n as Node),
  }));
  return {
    policies: [...ctx.watches.cache<NetworkPolicy>('networkpolicies').snapshot().values()] as NetworkPolicy[],
    endpoints,
    identities: [...identityLabels].map(([id, labels]) => ({ id, labels })),
    nodes,
    apiserverAddresses: apiServerAddresses(ctx),
    enforcement: ctx.config.policyEnforcement,
    auditNamespaces: ctx.config.auditNamespaces,
  };
}

const enforcementOf = (s: { enforced: boolean; audit: boolean }): Enforcement => (!s.enforced ? 'disabled' : s.audit ? 'audit' : 'enabled');

async function reconcilePolicyNow(ctx: AgentContext): Promise<void> {
  const model = buildPolicyModel(policyInputs(ctx));
  for (const p of model.problems) {
    const errors = p.problems.filter((x) => (x as { severity?: string }).severity !== 'warning');
    if (errors.length) log.warn('policy', `${p.policy}: ${errors.map((x) => `${(x as { path?: string }).path ?? ''} ${(x as { message?: string }).message ?? ''}`).join('; ')}`);
  }
  // Every listed prefix gets a CIDR identity and an ipcache entry (the compiler's contract).
  // Numbers already in use (also those read back from the ipcache at start) are kept.
  const cidrs = assignCidrIdentities(requiredCidrs(model), ctx.policy.cidrs);
  const cidrsChanged = cidrs.size !== ctx.policy.cidrs.size || [...cidrs].some(([k, v]) => ctx.policy.cidrs.get(k) !== v);
  ctx.policy.cidrs = cidrs;
  // New CIDR identities must be in the ipcache before entries referencing them matter.
  if (cidrsChanged) ctx.schedule('ipcache');

  const local = ctx.endpoints.all().filter((ep) => ep.identity);
  // No explicit deny entries: a default-deny drop then carries rule id 0 and flow
  // enrichment explains it by the selecting policies ("selected by ns/a, ns/b and no
  // rule allows it"), which FlowLookups.selectingPolicies answers from this state.
  const compiled = compile(model, { endpointIds: local.map((ep) => ep.id), cidrIdentities: cidrs, denyEntries: false });
  const rules = new Map<number, RuleInfo>();
  for (const [id, r] of compiled.rules) {
    if (r.kind === 'policy') rules.set(id, { kind: 'policy', policy: r.policy, direction: r.direction, ruleIndex: r.ruleIndex });
    else if (r.kind === 'default-deny') rules.set(id, { kind: 'default-deny', direction: r.direction, selectedBy: r.selectedBy });
    else rules.set(id, { kind: 'host' });
  }
  // Merge so rule ids still referenced by recent flows keep resolving.
  for (const [id, r] of rules) ctx.policy.rules.set(id, r);
  ctx.policy.policyCount = model.policies.length;

  let changed = 0;
  const verify = ctx.policy.rereadMaps;
  if (verify) {
    ctx.policy.rereadMaps = false;
    ctx.datapath.rereadPolicy();
  }
  for (const c of compiled.endpoints) {
    const ep = ctx.endpoints.get(c.endpointId);
    if (!ep) continue;
    const enforcement = { ingress: enforcementOf(c.ingress), egress: enforcementOf(c.egress) };
    const entries = c.entries as PolicyEntry[];
    const fingerprint = JSON.stringify([enforcement, entries]);
    const prev = ctx.policy.realized.get(ep.id);
    const same = prev?.fingerprint === fingerprint;
    if (same && !verify) continue;
    const d = await ctx.datapath.syncPolicy([ep.id], entries);
    if (same) {
      // Nothing changed on the API side: anything written now repaired the map.
      if (d.written || d.deleted) {
        log.warn('policy', `endpoint ${ep.id}: the policy map differed from what was written (${d.written} entries restored, ${d.deleted} removed)`);
      }
      continue;
    }
    const flagsChanged = JSON.stringify(ep.enforcement) !== JSON.stringify(enforcement);
    ep.enforcement = enforcement;
    if (flagsChanged || !prev) await ctx.datapath.writeEndpoint(ep.ip, endpointEntry(ep));
    ctx.policy.realized.set(ep.id, {
      entries, fingerprint,
      selectedBy: { ingress: [...c.ingress.selectedBy], egress: [...c.egress.selectedBy] },
    });
    ep.policyRevision = ++ctx.policy.revision;
    changed++;
    if (ep.health === 'ready') publish(ctx, ep);
  }
  // Entries of endpoint ids that are no longer local (restart, missed DEL).
  const live = new Set(ctx.endpoints.all().map((e) => e.id));
  const stale = [...(await ctx.datapath.policyEndpointIds())].filter((id) => !live.has(id));
  if (stale.length) {
    await ctx.datapath.syncPolicy(stale, []);
    for (const id of stale) ctx.policy.realized.delete(id);
  }
  if (changed || stale.length) log.info('policy', `revision ${ctx.policy.revision}: ${changed} endpoints updated, ${stale.length} stale removed (${model.policies.length} policies)`);
}

function publish(ctx: AgentContext, ep: LocalEndpoint): void {
  ctx.lumenEndpoints.patchStatus(ep.namespace, ep.pod, lumenEndpointStatus(ctx, ep))
    .catch((err: unknown) => log.debug('policy', `LumenEndpoint ${ep.namespace}/${ep.pod} status not patched yet: ${(err as Error).message}`));
}

export function reconcilePolicy(ctx: AgentContext): Promise<void> {
  return exclusive(() => reconcilePolicyNow(ctx));
}

/** CNI ADD: the new endpoint's entries and flags, before its programs are attached. */
export function programEndpointPolicy(ctx: AgentContext, _ep: LocalEndpoint): Promise<void> {
  return exclusive(() => reconcilePolicyNow(ctx));
}

/** CNI DEL: the endpoint's entries go. */
export function forgetEndpointPolicy(ctx: AgentContext, ep: LocalEndpoint): Promise<void> {
  return exclusive(async () => {
    await ctx.datapath.syncPolicy([ep.id], []);
    ctx.policy.realized.delete(ep.id);
  });
}
