// Services on this node: the frontends wanted from the API, the map content last written,
// and the desired-next-to-realized view the API serves.
import type { ServiceEntry, DesiredFrontend, RealizedFrontend, BackendState } from '../../../src/shared/agent-api/index.js';
import {
  BACKEND_ACTIVE,
  SVC_F_AFFINITY,
  SVC_F_LOCAL,
  emptyServiceMaps,
  frontendKey,
  protoName,
  svcKeyString,
  type ServiceMaps,
  type WantedFrontend,
} from '../services/model.js';

export class ServiceState {
  wanted: WantedFrontend[] = [];
  byFrontend = new Map<string, WantedFrontend>();
  /** What the maps hold after the last write (mirror; the view re-reads the maps). */
  written: ServiceMaps = emptyServiceMaps();
  frontendIds = new Map<string, number>();
  lastSyncAt: string | null = null;
  warnings: string[] = [];
  /** Set by the periodic resync: read the maps before planning, so outside changes are repaired. */
  rereadMaps = false;

  setWanted(wanted: WantedFrontend[], written: ServiceMaps, frontendIds: Map<string, number>): void {
    this.wanted = wanted;
    this.byFrontend = new Map(wanted.map((f) => [frontendKey(f.addr, f.port, f.proto), f]));
    this.written = written;
    this.frontendIds = frontendIds;
    this.lastSyncAt = new Date().toISOString();
  }
}

function desiredOf(f: WantedFrontend): DesiredFrontend {
  return {
    service: f.service,
    portName: f.portName,
    flags: {
      ...(f.affinityTimeout > 0 ? { sessionAffinityTimeoutSeconds: f.affinityTimeout } : {}),
      externalTrafficLocal: f.local && f.kind !== 'ClusterIP',
      internalTrafficLocal: f.local && f.kind === 'ClusterIP',
    },
    backends: f.backends.map((b) => ({
      ip: b.addr, port: b.port, state: b.state,
      ...(b.nodeName ? { nodeName: b.nodeName } : {}),
      ...(b.pod ? { pod: b.pod } : {}),
    })),
  };
}

/** Joins the wanted frontends with the maps' content into the API's service entries. */
export function serviceEntries(state: ServiceState, maps: ServiceMaps): ServiceEntry[] {
  const out = new Map<string, ServiceEntry>();
  for (const { key, val } of maps.services.values()) {
    if (key.slot !== 0) continue;
    const fk = frontendKey(key.addr, key.port, key.proto);
    const backends: RealizedFrontend['backends'] = [];
    for (let slot = 1; slot <= val.count; slot++) {
      const s = maps.services.get(svcKeyString({ ...key, slot }));
      const b = s && maps.backends.get(s.val.backendId);
      if (!s || !b) continue;
      const state: BackendState = slot <= val.active && b.state === BACKEND_ACTIVE ? 'active' : 'terminating';
      backends.push({ id: s.val.backendId, slot, ip: b.addr, port: b.port, state });
    }
    const wanted = state.byFrontend.get(fk);
    const kind = wanted?.kind ?? (val.flags & 0x1 ? 'NodePort' : 'ClusterIP');
    out.set(fk, {
      id: val.revNatId,
      frontend: { ip: key.addr, port: key.port, protocol: protoName(key.proto) },
      type: kind,
      desired: wanted ? desiredOf(wanted) : null,
      realized: {
        revNatId: val.revNatId,
        flags: {
          ...(val.flags & SVC_F_AFFINITY ? { sessionAffinityTimeoutSeconds: val.affinityTimeout } : {}),
          externalTrafficLocal: !!(val.flags & SVC_F_LOCAL) && kind !== 'ClusterIP',
          internalTrafficLocal: !!(val.flags & SVC_F_LOCAL) && kind === 'ClusterIP',
        },
        backends,
      },
    });
  }
  for (const [fk, f] of state.byFrontend) {
    if (out.has(fk)) continue;
    out.set(fk, {
      id: state.frontendIds.get(fk) ?? 0,
      frontend: { ip: f.addr, port: f.port, protocol: protoName(f.proto) },
      type: f.kind,
      desired: desiredOf(f),
      realized: null,
    });
  }
  return [...out.values()].sort((a, b) => a.id - b.id);
}
