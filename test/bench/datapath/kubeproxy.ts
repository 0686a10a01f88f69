// kube-proxy's iptables layout (nat table, iptables mode) for N services x 3 endpoints:
// KUBE-SERVICES -> KUBE-SVC-<hash> (statistic random) -> KUBE-SEP-<hash> (DNAT), plus the
// masquerade marks, as a restore file; and the delta kube-proxy writes for one change.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipNetns } from '../../../bpf/tests/lib/netns';

export type IptablesFlavour = 'legacy' | 'nft';

export interface KpService {
  name: string;
  vip: string;
  port: number;
  endpoints: Array<{ ip: string; port: number }>;
}

function chain(prefix: string, key: string): string {
  // kube-proxy: base32(sha256(...)) truncated to 16 characters.
  const h = createHash('sha256').update(key).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  for (let i = 0; i < 16; i++) out += alphabet[h[i]! & 31];
  return `${prefix}${out}`;
}

const svcChain = (s: KpService) => chain('KUBE-SVC-', `${s.name}:tcp`);
const sepChain = (s: KpService, ep: { ip: string; port: number }) => chain('KUBE-SEP-', `${s.name}:tcp:${ep.ip}:${ep.port}`);

function serviceRules(s: KpService, chains: string[], rules: string[]): void {
  const svc = svcChain(s);
  chains.push(`:${svc} - [0:0]`);
  rules.push(`-A KUBE-SERVICES -d ${s.vip}/32 -p tcp -m comment --comment "${s.name} cluster IP" -m tcp --dport ${s.port} -j ${svc}`);
  rules.push(`-A ${svc} ! -s 10.250.0.0/16 -d ${s.vip}/32 -p tcp -m comment --comment "${s.name} cluster IP" -m tcp --dport ${s.port} -j KUBE-MARK-MASQ`);
  s.endpoints.forEach((ep, i) => {
    const sep = sepChain(s, ep);
    chains.push(`:${sep} - [0:0]`);
    const left = s.endpoints.length - i;
    const prob = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
    rules.push(`-A ${svc} -m comment --comment "${s.name} -> ${ep.ip}:${ep.port}"${prob} -j ${sep}`);
    rules.push(`-A ${sep} -s ${ep.ip}/32 -m comment --comment ${s.name} -j KUBE-MARK-MASQ`);
    rules.push(`-A ${sep} -p tcp -m comment --comment ${s.name} -m tcp -j DNAT --to-destination ${ep.ip}:${ep.port}`);
  });
}

/** A full nat-table restore file (what kube-proxy writes on a full sync). */
export function fullRuleset(services: KpService[]): string {
  const chains = [':KUBE-SERVICES - [0:0]', ':KUBE-MARK-MASQ - [0:0]', ':KUBE-POSTROUTING - [0:0]'];
  const rules = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
  ];
  for (const s of services) serviceRules(s, chains, rules);
  return ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ...chains, ...rules, 'COMMIT', ''].join('\n');
}

/** The --noflush delta for one service whose endpoints changed from `before` to `after`
 *  (kube-proxy's partial sync: the service chain rewritten, new endpoint chains created,
 *  stale ones flushed and deleted). */
export function oneChangeDelta(before: KpService, after: KpService): string {
  const chains: string[] = [];
  const rules: string[] = [];
  const svc = svcChain(after);
  chains.push(`:${svc} - [0:0]`);
  rules.push(`-A ${svc} ! -s 10.250.0.0/16 -d ${after.vip}/32 -p tcp -m comment --comment "${after.name} cluster IP" -m tcp --dport ${after.port} -j KUBE-MARK-MASQ`);
  after.endpoints.forEach((ep, i) => {
    const sep = sepChain(after, ep);
    chains.push(`:${sep} - [0:0]`);
    const left = after.endpoints.length - i;
    const prob = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
    rules.push(`-A ${svc} -m comment --comment "${after.name} -> ${ep.ip}:${ep.port}"${prob} -j ${sep}`);
    rules.push(`-A ${sep} -s ${ep.ip}/32 -m comment --comment ${after.name} -j KUBE-MARK-MASQ`);
    rules.push(`-A ${sep} -p tcp -m comment --comment ${after.name} -m tcp -j DNAT --to-destination ${ep.ip}:${ep.port}`);
  });
  const keep = new Set(after.endpoints.map((ep) => sepChain(after, ep)));
  const stale = before.endpoints.map((ep) => sepChain(before, ep)).filter((c) => !keep.has(c));
  for (const c of stale) chains.push(`:${c} - [0:0]`);
  for (const c of stale) rules.push(`-X ${c}`);
  return ['*nat', ...chains, ...rules, 'COMMIT', ''].join('\n');
}

function restoreBin(f: IptablesFlavour): string {
  return f === 'legacy' ? 'iptables-legacy-restore' : 'iptables-nft-restore';
}

/** Loads a restore file into `ns` with the given binary; returns wall milliseconds. */
export function restore(ns: string, f: IptablesFlavour, file: string, noflush = false): number {
  const t = process.hrtime.bigint();
  ipNetns(ns, restoreBin(f), ...(noflush ? ['--noflush'] : []), file);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Empties the nat table of `ns` for one flavour. */
export function flushNat(ns: string, f: IptablesFlavour): void {
  const bin = f === 'legacy' ? 'iptables-legacy' : 'iptables-nft';
  ipNetns(ns, bin, '-t', 'nat', '-F');
  ipNetns(ns, bin, '-t', 'nat', '-X');
}

export function writeRuleFile(dir: string, name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
