// Public entry of src/shared/policy: the single source of Kubernetes NetworkPolicy semantics —
// validate, model, evaluate (verdict + the policy that decided it), compile (datapath entries +
// rule table), the reference datapath lookup, and per-identity views. See README.md.
export type * from './types.js';
export { IpProtocol } from './types.js';
export { validatePolicy, isPolicyValid, type ValidateContext } from './validate.js';
export { effectivePolicyTypes, normalizePolicy, type NormalizedPolicy, type NormalizedRule, type NormalizedPeer, type NormalizedPort } from './normalize.js';
export {
  buildPolicyModel,
  isPolicyModel,
  selectingPolicies,
  type IdentityInfo,
  type ModelEndpoint,
  type PolicyModel,
  type PolicyProblems,
} from './model.js';
export { evaluate } from './evaluate.js';
export { compile, type CompileOptions } from './compile.js';
export { lookupEntries, datapathDecision, ReferenceIpcache, referenceIpcacheEntries, type LookupResult, type DatapathDecision } from './lookup.js';
export { requiredCidrs, assignCidrIdentities } from './cidr-identities.js';
export { describeRule, describeAllowed, describeDenied } from './describe.js';
export { identityPolicy, type IdentityPolicyView, type IdentityDirectionView, type IdentityRuleView, type PortSummary } from './identity-view.js';
export { RULE_ID_NONE, RULE_ID_HOST, RULE_ID_FIRST_HASHED } from './rule-ids.js';
export { protocolNumber } from './match.js';
export { policyEndpointFromPod, policiesSelecting } from './endpoints.js';
export { diffPolicyEntries, policyEntryKey, type PolicyEntryDiff } from './diff.js';
