// NetworkPolicy validation: the API server's checks (networking.k8s.io/v1, Kubernetes 1.36 with
// strict CIDR validation) as errors, plus what Lumen cannot enforce as written as warnings.
import {
  EXCLUDED_POD_LABEL_KEYS,
  fieldError,
  fieldPath,
  fieldWarning,
  ipv6Within,
  isValidPortNumber,
  parseCidr,
  portNameProblems,
  validateLabelSelector,
  cidrWithin,
  type FieldProblem,
  type LabelSelector,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type ParsedCidr,
} from '../k8s/index.js';

export interface ValidateContext {
  /** Cluster pod CIDRs: an ipBlock inside them gets a warning (ipBlock does not match pods). */
  podCidrs?: readonly string[];
}

const excludedKeys = new Set(EXCLUDED_POD_LABEL_KEYS);
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1123LabelRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateCidrText(text: unknown, path: string, out: FieldProblem[]): ParsedCidr | undefined {
  if (typeof text !== 'string') {
    out.push(fieldError(path, 'must be a string', text));
    return undefined;
  }
  const parsed = parseCidr(text);
  if (parsed === undefined) {
    out.push(fieldError(path, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)', text));
    return undefined;
  }
  if (parsed.family === 4 && parsed.leadingZeros) out.push(fieldError(path, 'must not have leading 0s in IP or prefix length', text));
  else if (parsed.family === 6 && parsed.ipv4Mapped) out.push(fieldError(path, 'must not have an IPv4-mapped IPv6 address', text));
  else if (parsed.hostBitsSet) out.push(fieldError(path, 'must not have bits set beyond the prefix length', text));
  return parsed;
}

function validateIpBlock(block: unknown, path: string, ctx: ValidateContext, out: FieldProblem[]): void {
  if (!isObject(block)) {
    out.push(fieldError(path, 'must be an object with cidr and except', block));
    return;
  }
  const cidrPath = fieldPath.child(path, 'cidr');
  if (block.cidr === undefined || block.cidr === '') {
    out.push(fieldError(cidrPath, 'Required value'));
    return;
  }
  const cidr = validateCidrText(block.cidr, cidrPath, out);
  if (cidr === undefined) return;
  const except = block.except ?? [];
  if (!Array.isArray(except)) {
    out.push(fieldError(fieldPath.child(path, 'except'), 'must be a list of CIDRs', except));
    return;
  }
  except.forEach((text: unknown, i) => {
    const ePath = fieldPath.index(fieldPath.child(path, 'except'), i);
    const e = validateCidrText(text, ePath, out);
    if (e === undefined) return;
    const strictSubset =
      e.family === 4 && cidr.family === 4
        ? cidrWithin(e.cidr, cidr.cidr) && e.cidr.prefix > cidr.cidr.prefix
        : e.family === 6 && cidr.family === 6
          ? ipv6Within(e, cidr) && e.prefix > cidr.prefix
          : false;
    if (!strictSubset) out.push(fieldError(ePath, 'must be a strict subset of `cidr`', text));
  });
  if (cidr.family === 6) {
    out.push(fieldWarning(cidrPath, 'Lumen enforces IPv4 only: this IPv6 ipBlock matches no traffic', block.cidr));
  } else {
    for (const podCidr of ctx.podCidrs ?? []) {
      const pc = parseCidr(podCidr);
      if (pc?.family === 4 && (cidrWithin(cidr.cidr, pc.cidr) || cidrWithin(pc.cidr, cidr.cidr))) {
        out.push(
          fieldWarning(
            cidrPath,
            `overlaps the pod CIDR ${pc.cidr.text}: ipBlock matches pod addresses only when every pod of an identity is inside it; select pods with podSelector/namespaceSelector instead`,
            block.cidr,
          ),
        );
        break;
      }
    }
  }
}

/** Warn about selectors that test labels identities leave out: they always see them absent. */
function warnExcludedKeys(selector: LabelSelector | undefined, path: string, out: FieldProblem[]): void {
  if (!isObject(selector)) return;
  const keys = new Set<string>();
  if (isObject(selector.matchLabels)) for (const k of Object.keys(selector.matchLabels)) keys.add(k);
  if (Array.isArray(selector.matchExpressions)) for (const e of selector.matchExpressions) if (isObject(e) && typeof e.key === 'string') keys.add(e.key);
  for (const key of keys) {
    if (excludedKeys.has(key)) {
      out.push(fieldWarning(path, `label ${key} is not part of security identities, so Lumen always sees it as absent`, key));
    }
  }
}

function validateSelector(selector: unknown, path: string, warnExcluded: boolean, out: FieldProblem[]): void {
  if (selector === undefined || selector === null) return;
  if (!isObject(selector)) {
    out.push(fieldError(path, 'must be an object with matchLabels and/or matchExpressions', selector));
    return;
  }
  out.push(...validateLabelSelector(selector as LabelSelector, path));
  if (warnExcluded) warnExcludedKeys(selector as LabelSelector, path, out);
}

function validatePeer(peer: NetworkPolicyPeer, path: string, ctx: ValidateContext, out: FieldProblem[]): void {
  if (!isObject(peer)) {
    out.push(fieldError(path, 'must be an object', peer));
    return;
  }
  let count = 0;
  if (peer.podSelector != null) {
    count++;
    validateSelector(peer.podSelector, fieldPath.child(path, 'podSelector'), true, out);
  }
  if (peer.namespaceSelector != null) {
    count++;
    validateSelector(peer.namespaceSelector, fieldPath.child(path, 'namespaceSelector'), false, out);
  }
  if (peer.ipBlock != null) {
    count++;
    validateIpBlock(peer.ipBlock, fieldPath.child(path, 'ipBlock'), ctx, out);
  }
  if (count === 0) out.push(fieldError(path, 'Required value: must specify a peer'));
  else if (count > 1 && peer.ipBlock != null) out.push(fieldError(path, 'Forbidden: may not specify both ipBlock and another peer'));
}

function validatePort(port: NetworkPolicyPort, path: string, out: FieldProblem[]): void {
  if (!isObject(port)) {
    out.push(fieldError(path, 'must be an object', port));
    return;
  }
  const protocol = port.protocol;
  if (protocol != null && protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') {
    out.push(fieldError(fieldPath.child(path, 'protocol'), 'Unsupported value: supported values: "TCP", "UDP", "SCTP"', protocol));
  }
  const portPath = fieldPath.child(path, 'port');
  const endPath = fieldPath.child(path, 'endPort');
  const endPort = port.endPort;
  if (endPort != null && !(typeof endPort === 'number' && Number.isInteger(endPort))) {
    out.push(fieldError(endPath, 'must be an integer', endPort));
    return;
  }
  if (port.port == null) {
    if (endPort != null) out.push(fieldError(endPath, 'may not be specified when `port` is not specified', endPort));
    return;
  }
  if (typeof port.port === 'number') {
    if (!Number.isInteger(port.port)) out.push(fieldError(portPath, 'must be an integer', port.port));
    else if (!isValidPortNumber(port.port)) out.push(fieldError(portPath, 'must be between 1 and 65535, inclusive', port.port));
    if (endPort != null) {
      if (endPort < port.port) out.push(fieldError(endPath, 'must be greater than or equal to `port`', endPort));
      if (!isValidPortNumber(endPort)) out.push(fieldError(endPath, 'must be between 1 and 65535, inclusive', endPort));
    }
  } else if (typeof port.port === 'string') {
    if (endPort != null) out.push(fieldError(endPath, 'may not be specified when `port` is non-numeric', endPort));
    for (const msg of portNameProblems(port.port)) out.push(fieldError(portPath, msg, port.port));
  } else {
    out.push(fieldError(portPath, 'must be a port number or a port name', port.port));
  }
}

function validateRules(rules: unknown, kind: 'ingress' | 'egress', path: string, ctx: ValidateContext, out: FieldProblem[]): void {
  if (rules == null) return;
  if (!Array.isArray(rules)) {
    out.push(fieldError(path, 'must be a list of rules', rules));
    return;
  }
  const peersField = kind === 'ingress' ? 'from' : 'to';
  rules.forEach((rule: unknown, i) => {
    const rulePath = fieldPath.index(path, i);
    if (!isObject(rule)) {
      out.push(fieldError(rulePath, 'must be an object', rule));
      return;
    }
    const ports = rule.ports;
    if (ports != null && !Array.isArray(ports)) out.push(fieldError(fieldPath.child(rulePath, 'ports'), 'must be a list', ports));
    else (ports ?? []).forEach((p: NetworkPolicyPort, pi: number) => validatePort(p, fieldPath.index(fieldPath.child(rulePath, 'ports'), pi), out));
    const peers = rule[peersField];
    if (peers != null && !Array.isArray(peers)) out.push(fieldError(fieldPath.child(rulePath, peersField), 'must be a list', peers));
    else (peers ?? []).forEach((p: NetworkPolicyPeer, pi: number) => validatePeer(p, fieldPath.index(fieldPath.child(rulePath, peersField), pi), ctx, out));
  });
}

/**
 * Everything wrong with a NetworkPolicy, with field paths. Errors are what the API server
 * rejects; warnings are accepted by Kubernetes but not enforced as written by Lumen (IPv6,
 * ipBlocks over pod addresses, labels left out of identities) or almost certainly a mistake
 * (rules ignored because policyTypes leaves their direction out).
 */
export function validatePolicy(policy: NetworkPolicy, ctx: ValidateContext = {}): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return [fieldError('', 'must be a NetworkPolicy object', policy)];
  const name = policy.metadata?.name;
  if (!name) out.push(fieldError('metadata.name', 'Required value: name is required'));
  else if (name.length > 253 || !dns1123SubdomainRe.test(name)) {
    out.push(fieldError('metadata.name', 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character', name));
  }
  const namespace = policy.metadata?.namespace;
  if (!namespace) out.push(fieldError('metadata.namespace', 'Required value: a NetworkPolicy is namespaced'));
  else if (namespace.length > 63 || !dns1123LabelRe.test(namespace)) out.push(fieldError('metadata.namespace', 'must be a valid namespace name (RFC 1123 label)', namespace));

  const spec = policy.spec;
  if (spec != null && !isObject(spec)) return [...out, fieldError('spec', 'must be an object', spec)];
  if (spec?.podSelector == null) {
    out.push(fieldWarning('spec.podSelector', 'missing: treated as {} which selects every pod in the namespace'));
  }
  validateSelector(spec?.podSelector, 'spec.podSelector', true, out);
  validateRules(spec?.ingress, 'ingress', 'spec.ingress', ctx, out);
  validateRules(spec?.egress, 'egress', 'spec.egress', ctx, out);

  const types = spec?.policyTypes;
  if (types != null && !Array.isArray(types)) {
    out.push(fieldError('spec.policyTypes', 'must be a list', types));
  } else if (types != null && types.length > 2) {
    out.push(fieldError('spec.policyTypes', 'may not specify more than two policyTypes', types));
  } else if (types != null && types.length > 0) {
    types.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress') {
        out.push(fieldError(fieldPath.index('spec.policyTypes', i), 'Unsupported value: supported values: "Ingress", "Egress"', t));
      }
    });
    if (!types.includes('Ingress') && Array.isArray(spec?.ingress) && spec.ingress.length > 0) {
      out.push(fieldWarning('spec.ingress', 'ignored: policyTypes does not include Ingress'));
    }
    if (!types.includes('Egress') && Array.isArray(spec?.egress) && spec.egress.length > 0) {
      out.push(fieldWarning('spec.egress', 'ignored: policyTypes does not include Egress'));
    }
  } else if (Array.isArray(spec?.egress) && spec.egress.length === 0) {
    out.push(fieldWarning('spec.egress', 'an empty egress list without policyTypes does not isolate egress; add policyTypes: [Ingress, Egress] to deny all egress'));
  }
  return out;
}

/** True when validatePolicy found no error (warnings allowed). */
export function isPolicyValid(policy: NetworkPolicy, ctx?: ValidateContext): boolean {
  return !validatePolicy(policy, ctx).some((p) => p.severity === 'error');
}

