// Table-driven steps for the packet tests: each step is a program, a packet (possibly
// built from what earlier steps captured), and what must come out: verdict, rewritten
// addresses with valid checksums, the flow event and drop counters.
import { expect } from 'vitest';
import type { FlowEvent } from '../../../agent/native/index';
import { buildPacket, PROTO, type PacketSpec } from './packet';
import { TC_ACT_OK, TC_ACT_REDIRECT, TC_ACT_SHOT, type Fixture, type RunResult } from './fixture';

export type Vars = Record<string, string>;

export interface Step {
  prog: 'from_container' | 'to_container' | 'from_netdev' | 'to_netdev';
  packet: PacketSpec | Buffer | ((v: Vars) => PacketSpec | Buffer);
  /** 'pass' = TC_ACT_OK, 'drop' = TC_ACT_SHOT, 'redirect' = TC_ACT_REDIRECT */
  verdict: 'pass' | 'drop' | 'redirect';
  /** Network namespace whose routes FIB lookups see (/run/netns/...). */
  netns?: string;
  /** Expected "ip:port" after the program; a list = any of them. */
  src?: string | string[] | ((v: Vars) => string);
  dst?: string | string[] | ((v: Vars) => string);
  /** Output bytes must equal input bytes. */
  unchanged?: boolean;
  /** The single event this packet must produce (subset match), or null for none. */
  event?: Partial<FlowEvent> | null | ((v: Vars) => Partial<FlowEvent>);
  /** Drop reason counted for this packet. */
  dropReason?: number;
  /** Remember parts of the result for later steps. */
  capture?: (r: RunResult, v: Vars) => void;
  check?: (r: RunResult, v: Vars) => void;
}

export function tcp(src: string, sport: number, dst: string, dport: number, flags: number, extra: Partial<PacketSpec> = {}): PacketSpec {
  return { ip: { src, dst }, tcp: { sport, dport, flags }, ...extra };
}

export function udp(src: string, sport: number, dst: string, dport: number, payload = Buffer.from('ping')): PacketSpec {
  return { ip: { src, dst }, udp: { sport, dport, payload } };
}

export function endpointOf(r: RunResult, which: 'src' | 'dst'): string {
  if (!r.pkt) throw new Error('no IPv4 packet came out');
  return which === 'src' ? `${r.pkt.src}:${r.pkt.sport ?? 0}` : `${r.pkt.dst}:${r.pkt.dport ?? 0}`;
}

export function runSteps(f: Fixture, steps: Step[], vars: Vars = {}): Vars {
  steps.forEach((s, i) => {
    const where = `step ${i + 1} (${s.prog})`;
    const p = typeof s.packet === 'function' ? s.packet(vars) : s.packet;
    const data = Buffer.isBuffer(p) ? p : buildPacket(p);
    const r = f.run(s.prog, data, s.netns);
    const want = { pass: TC_ACT_OK, drop: TC_ACT_SHOT, redirect: TC_ACT_REDIRECT }[s.verdict];
    expect(r.retval, `${where}: verdict`).toBe(want);
    if (s.unchanged) expect(r.out.equals(data), `${where}: packet must pass unchanged`).toBe(true);
    for (const which of ['src', 'dst'] as const) {
      const want = s[which];
      if (want === undefined) continue;
      const got = endpointOf(r, which);
      const w = typeof want === 'function' ? want(vars) : want;
      if (Array.isArray(w)) expect(w, `${where}: ${which}`).toContain(got);
      else expect(got, `${where}: ${which}`).toBe(w);
    }
    if (s.verdict !== 'drop' && r.pkt && (s.src !== undefined || s.dst !== undefined)) {
      expect(r.checksums, `${where}: checksums after rewrite`).toEqual({ ip: true, l4: true });
    }
    if (s.event === null) expect(r.events, `${where}: no event expected`).toEqual([]);
    else if (s.event !== undefined) {
      const want = typeof s.event === 'function' ? s.event(vars) : s.event;
      expect(r.events.length, `${where}: one event expected, got ${JSON.stringify(r.events)}`).toBe(1);
      expect(r.events[0], where).toMatchObject(want);
    }
    if (s.dropReason !== undefined) expect(Object.fromEntries(r.drops), `${where}: drop counters`).toEqual({ [s.dropReason]: 1 });
    else if (s.verdict !== 'drop') expect(r.drops.size, `${where}: no drop counted`).toBe(0);
    s.capture?.(r, vars);
    s.check?.(r, vars);
  });
  return vars;
}

export { PROTO };
