// Policy entries (the shared policy compiler's output) -> lumen_policy LPM entries, and
// the diff between two sets so an update writes only what changed.
//
// Semantics the datapath implements (bpf/lib/policy.h), for one endpoint and direction:
//   - classes are (identity, proto), (identity, any), (any identity, proto), (any, any);
//   - an allow in any matching class wins; its rule id is the first allow in that order
//     (a specific identity beats any-identity, a specific protocol beats any-protocol);
//   - otherwise the first matching deny decides (its rule id); otherwise default deny (0).
// Within one class, overlapping ranges are resolved here before writing: allow wins over
// deny, and among several allows (or several denies) the lowest rule id is reported.
import { Direction, PolicyVerdict, type PolicyKey, type PolicyVal } from './abi';
import type { BpfMap } from './bpf';

export interface PolicyEntry {
  endpointId: number;
  direction: 'ingress' | 'egress';
  /** 0 = any identity */
  remoteIdentity: number;
  /** 0 = any protocol */
  protocol: 0 | 6 | 17 | 132;
  /** inclusive; 0..65535 = any port */
  portLow: number;
  portHigh: number;
  verdict: 'allow' | 'deny';
  ruleId: number;
}

export interface PolicyMapEntry {
  key: PolicyKey;
  value: PolicyVal;
}

export class PolicyError extends Error {
  constructor(message: string) {
    super(`[lumen-bpf] policy: ${message}`);
    this.name = 'PolicyError';
  }
}

/** Bits of lumen_policy_key before the port: endpoint_id, identity, direction, proto. */
const FIXED_PREFIX = 80;
const U32 = 0xffffffff;

function isU32(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= U32;
}

export function validatePolicyEntry(e: PolicyEntry, index = 0): void {
  const at = `entry #${index}`;
  if (!e || typeof e !== 'object') throw new PolicyError(`${at}: not an object`);
  if (!isU32(e.endpointId)) throw new PolicyError(`${at}: endpointId must be a 32-bit unsigned integer, got ${String(e.endpointId)}`);
  if (e.direction !== 'ingress' && e.direction !== 'egress') throw new PolicyError(`${at}: direction must be ingress or egress, got ${String(e.direction)}`);
  if (!isU32(e.remoteIdentity)) throw new PolicyError(`${at}: remoteIdentity must be a 32-bit unsigned integer, got ${String(e.remoteIdentity)}`);
  if (![0, 6, 17, 132].includes(e.protocol)) throw new PolicyError(`${at}: protocol must be 0, 6, 17 or 132, got ${String(e.protocol)}`);
  if (!Number.isInteger(e.portLow) || !Number.isInteger(e.portHigh) || e.portLow < 0 || e.portHigh > 65535 || e.portLow > e.portHigh) {
    throw new PolicyError(`${at}: port range must satisfy 0 <= portLow <= portHigh <= 65535, got ${e.portLow}..${e.portHigh}`);
  }
  if (e.verdict !== 'allow' && e.verdict !== 'deny') throw new PolicyError(`${at}: verdict must be allow or deny, got ${String(e.verdict)}`);
  if (!isU32(e.ruleId)) throw new PolicyError(`${at}: ruleId must be a 32-bit unsigned integer, got ${String(e.ruleId)}`);
}

/** Splits lo..hi into aligned power-of-two blocks: [start, prefix bits of the port]. */
export function portRangeToPrefixes(lo: number, hi: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let cur = lo;
  while (cur <= hi) {
    let size = 1;
    // Grow the block while it stays aligned at cur and inside the range.
    while (size < 65536 && cur % (size * 2) === 0 && cur + size * 2 - 1 <= hi) size *= 2;
    out.push([cur, 16 - Math.log2(size)]);
    cur += size;
  }
  return out;
}

type Seg = { lo: number; hi: number; verdict: number; ruleId: number };

/** One class's entries -> non-overlapping segments with the winning verdict and rule. */
function resolveClass(entries: PolicyEntry[]): Seg[] {
  const bounds = new Set<number>();
  for (const e of entries) {
    bounds.add(e.portLow);
    bounds.add(e.portHigh + 1);
  }
  const pts = [...bounds].sort((a, b) => a - b);
  const segs: Seg[] = [];
  for (let i = 0; i + 1 < pts.length; i++) {
    const lo = pts[i]!;
    const hi = pts[i + 1]! - 1;
    let allow: number | undefined;
    let deny: number | undefined;
    for (const e of entries) {
      if (e.portLow > lo || e.portHigh < hi) continue;
      if (e.verdict === 'allow') allow = allow === undefined ? e.ruleId : Math.min(allow, e.ruleId);
      else deny = deny === undefined ? e.ruleId : Math.min(deny, e.ruleId);
    }
    if (allow === undefined && deny === undefined) continue;
    const verdict = allow !== undefined ? PolicyVerdict.Allow : PolicyVerdict.Deny;
    const ruleId = (allow ?? deny)!;
    const prev = segs[segs.length - 1];
    if (prev && prev.hi + 1 === lo && prev.verdict === verdict && prev.ruleId === ruleId) prev.hi = hi;
    else segs.push({ lo, hi, verdict, ruleId });
  }
  return segs;
}

/** Compiles entries into LPM map entries (validates every entry first). */
export function compilePolicy(entries: readonly PolicyEntry[]): PolicyMapEntry[] {
  entries.forEach((e, i) => validatePolicyEntry(e, i));
  const classes = new Map<string, PolicyEntry[]>();
  for (const e of entries) {
    const id = `${e.endpointId}/${e.direction}/${e.remoteIdentity}/${e.protocol}`;
    let list = classes.get(id);
    if (!list) classes.set(id, (list = []));
    list.push(e);
  }
  const out: PolicyMapEntry[] = [];
  for (const list of classes.values()) {
    const first = list[0]!;
    for (const seg of resolveClass(list)) {
      for (const [port, bits] of portRangeToPrefixes(seg.lo, seg.hi)) {
        out.push({
          key: {
            prefixlen: FIXED_PREFIX + bits,
            endpoint_id: first.endpointId,
            identity: first.remoteIdentity,
            direction: first.direction === 'ingress' ? Direction.Ingress : Direction.Egress,
            proto: first.protocol,
            port,
          },
          value: { rule_id: seg.ruleId, verdict: seg.verdict },
        });
      }
    }
  }
  return out;
}

export function policyKeyId(k: PolicyKey): string {
  return `${k.endpoint_id}/${k.direction}/${k.identity}/${k.proto}/${k.port}/${k.prefixlen}`;
}

export interface PolicyDiff {
  upserts: PolicyMapEntry[];
  deletes: PolicyKey[];
}

/** What turns `current` into `desired`: new or changed entries, and keys to remove. */
export function diffPolicy(current: readonly PolicyMapEntry[], desired: readonly PolicyMapEntry[]): PolicyDiff {
  const cur = new Map(current.map((e) => [policyKeyId(e.key), e]));
  const want = new Map(desired.map((e) => [policyKeyId(e.key), e]));
  const upserts: PolicyMapEntry[] = [];
  for (const [id, e] of want) {
    const c = cur.get(id);
    if (!c || c.value.rule_id !== e.value.rule_id || c.value.verdict !== e.value.verdict) upserts.push(e);
  }
  const deletes: PolicyKey[] = [];
  for (const [id, e] of cur) if (!want.has(id)) deletes.push(e.key);
  return { upserts, deletes };
}

/** The policy map with a per-endpoint shadow of what was written, so replacing one
 *  endpoint's entries costs only its diff. The shadow is read from the map on first use
 *  (an agent restart keeps the pinned map's content). */
export class PolicyTable {
  private shadow: Map<number, PolicyMapEntry[]> | undefined;

  constructor(private readonly map: BpfMap<PolicyKey, PolicyVal>) {}

  private load(): Map<number, PolicyMapEntry[]> {
    if (this.shadow) return this.shadow;
    const s = new Map<number, PolicyMapEntry[]>();
    for (const [key, value] of this.map.entries()) {
      let list = s.get(key.endpoint_id);
      if (!list) s.set(key.endpoint_id, (list = []));
      list.push({ key, value });
    }
    this.shadow = s;
    return s;
  }

  /** Forgets the shadow: the next replace diffs against the map as it is now (repairs
   *  entries changed behind the table's back). */
  invalidate(): void {
    this.shadow = undefined;
  }

  entriesOf(endpointId: number): PolicyMapEntry[] {
    return [...(this.load().get(endpointId) ?? [])];
  }

  /** Applies a diff: additions first, so a rule that moves never leaves a gap that would
   *  drop established traffic, then deletions. */
  apply(diff: PolicyDiff): void {
    this.map.setMany(diff.upserts.map((e) => [e.key, e.value] as const));
    this.map.deleteMany(diff.deletes);
    const s = this.load();
    const touched = new Set([...diff.upserts.map((e) => e.key.endpoint_id), ...diff.deletes.map((k) => k.endpoint_id)]);
    for (const ep of touched) {
      const m = new Map((s.get(ep) ?? []).map((e) => [policyKeyId(e.key), e]));
      for (const k of diff.deletes) if (k.endpoint_id === ep) m.delete(policyKeyId(k));
      for (const e of diff.upserts) if (e.key.endpoint_id === ep) m.set(policyKeyId(e.key), e);
      if (m.size) s.set(ep, [...m.values()]);
      else s.delete(ep);
    }
  }

  /** Full replace of one endpoint's entries (both directions); returns the applied diff. */
  replaceEndpoint(endpointId: number, entries: readonly PolicyEntry[]): PolicyDiff {
    entries.forEach((e, i) => {
      if (e.endpointId !== endpointId) throw new PolicyError(`entry #${i}: endpointId ${e.endpointId} in a replace of endpoint ${endpointId}`);
    });
    const diff = diffPolicy(this.entriesOf(endpointId), compilePolicy(entries));
    this.apply(diff);
    return diff;
  }

  removeEndpoint(endpointId: number): number {
    const diff = { upserts: [], deletes: this.entriesOf(endpointId).map((e) => e.key) };
    this.apply(diff);
    return diff.deletes.length;
  }
}
