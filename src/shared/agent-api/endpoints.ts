// Wire types of the agent's endpoint, identity and per-endpoint policy views.
import { z } from 'zod';
import { ObjectRefSchema } from './services.js';

/** Labels as key → value; identity labels of namespaces carry the `ns:` key prefix. */
export const LabelsSchema = z.record(z.string(), z.string());
export type Labels = z.infer<typeof LabelsSchema>;

/** enabled: policy enforced; audit: would-deny recorded, packet passes; disabled: no policy selects it. */
export const EnforcementSchema = z.enum(['enabled', 'disabled', 'audit']);
export type Enforcement = z.infer<typeof EnforcementSchema>;

/** ready: programmed; pending: being set up; not-ready: programming failed (see message). */
export const EndpointHealthSchema = z.enum(['ready', 'pending', 'not-ready', 'disconnecting']);
export type EndpointHealth = z.infer<typeof EndpointHealthSchema>;

export const EndpointInfoSchema = z.object({
  /** Endpoint id in the datapath's endpoints map (the policy key). */
  id: z.number().int().nonnegative(),
  pod: ObjectRefSchema,
  node: z.string(),
  identity: z.number().int().nonnegative(),
  /** The identity's security labels. */
  labels: LabelsSchema,
  ipv4: z.string(),
  /** Host-side veth name and ifindex. */
  interface: z.string().optional(),
  ifindex: z.number().int().optional(),
  enforcement: z.object({ ingress: EnforcementSchema, egress: EnforcementSchema }),
  /** Policy revision realized in the maps for this endpoint. */
  policyRevision: z.number().int().nonnegative(),
  health: EndpointHealthSchema,
  message: z.string().optional(),
});
export type EndpointInfo = z.infer<typeof EndpointInfoSchema>;

export const IdentitySourceSchema = z.enum(['reserved', 'kubernetes', 'cidr']);
export type IdentitySource = z.infer<typeof IdentitySourceSchema>;

export const IdentityInfoSchema = z.object({
  id: z.number().int().nonnegative(),
  source: IdentitySourceSchema,
  /** Security labels (kubernetes), `reserved:<name>` (reserved) or `cidr:<prefix>` (cidr). */
  labels: LabelsSchema,
  /** One line on what a reserved identity means. */
  description: z.string().optional(),
  /** Endpoints on this node holding the identity. */
  localEndpoints: z.number().int().nonnegative(),
});
export type IdentityInfo = z.infer<typeof IdentityInfoSchema>;

export const DirectionSchema = z.enum(['ingress', 'egress']);
export type Direction = z.infer<typeof DirectionSchema>;

/** Which NetworkPolicy rule a datapath entry (and so a verdict) comes from. */
export const PolicyRuleRefSchema = z.object({
  policy: ObjectRefSchema,
  direction: DirectionSchema,
  ruleIndex: z.number().int().nonnegative(),
});
export type PolicyRuleRef = z.infer<typeof PolicyRuleRefSchema>;

export const PolicyProtocolSchema = z.enum(['ANY', 'TCP', 'UDP', 'SCTP']);
export type PolicyProtocol = z.infer<typeof PolicyProtocolSchema>;

/** One realized policy entry of an endpoint. portLow=0, portHigh=65535 means any port. */
export const PolicyEntryInfoSchema = z.object({
  /** 0 = any identity. */
  remoteIdentity: z.number().int().nonnegative(),
  remoteLabels: LabelsSchema.optional(),
  protocol: PolicyProtocolSchema,
  portLow: z.number().int().min(0).max(65535),
  portHigh: z.number().int().min(0).max(65535),
  verdict: z.enum(['allow', 'deny']),
  ruleId: z.number().int().nonnegative(),
  rule: PolicyRuleRefSchema.optional(),
});
export type PolicyEntryInfo = z.infer<typeof PolicyEntryInfoSchema>;

export const DirectionPolicySchema = z.object({
  enforcement: EnforcementSchema,
  /** Policies (namespace/name) selecting the endpoint for this direction. */
  selectedBy: z.array(ObjectRefSchema),
  entries: z.array(PolicyEntryInfoSchema),
});
export type DirectionPolicy = z.infer<typeof DirectionPolicySchema>;

export const EndpointPolicySchema = z.object({
  endpoint: z.object({ id: z.number().int(), pod: ObjectRefSchema, identity: z.number().int() }),
  revision: z.number().int().nonnegative(),
  ingress: DirectionPolicySchema,
  egress: DirectionPolicySchema,
});
export type EndpointPolicy = z.infer<typeof EndpointPolicySchema>;

/** How a client names an endpoint: its numeric id, or the pod as namespace/name. */
export type EndpointRef = { id: number } | { namespace: string; name: string };

/** Parses "123" or "namespace/pod"; throws naming the bad input. */
export function parseEndpointRef(text: string): EndpointRef {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { id: Number(t) };
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(t);
  if (!m) throw new Error(`invalid endpoint "${text}": expected an endpoint id or <namespace>/<pod>`);
  return { namespace: m[1]!, name: m[3]! };
}

export function formatLabels(labels: Labels): string[] {
  return Object.keys(labels)
    .sort()
    .map((k) => (labels[k] === '' ? k : `${k}=${labels[k]}`));
}
