// Node-local IPAM: hands out pod addresses (and endpoint ids) from the node's pod CIDR,
// persisting every change under /var/lib/lumen/ipam before answering so that an agent
// restart never hands out an address twice.
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { cidrSize, intToIp, parseCidr, type Cidr } from '../net/ip.js';

export interface IpamOwner {
  containerId: string;
  ifName: string;
  namespace?: string;
  pod?: string;
  podUid?: string;
}

export interface IpamAllocation extends IpamOwner {
  ip: string;
  /** Node-local endpoint id (1..65535): the datapath's key for this pod's policy. */
  endpointId: number;
  /** When it was handed out (ISO time). */
  allocated: string;
}

interface IpamFile {
  version: 1;
  cidr: string;
  /** Offset of the last address handed out: allocation continues after it (no quick reuse). */
  lastOffset: number;
  lastEndpointId: number;
  allocations: IpamAllocation[];
}

const MAX_ENDPOINT_ID = 0xffff;

/** Writes a file so that a crash leaves either the old or the new content, never a torn one. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(join(path, '..'), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export class IpamExhaustedError extends Error {}

export class Ipam {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly cidr: Cidr,
    private readonly file: string,
    private state: IpamFile,
  ) {}

  /**
   * Opens (or creates) the state for `cidrText` under `dir`. The state file is per CIDR,
   * so a node whose pod CIDR changed starts a fresh pool and keeps the old file for audit.
   */
  static async open(dir: string, cidrText: string): Promise<Ipam> {
    const cidr = parseCidr(cidrText);
    if (cidr.prefix > 30) throw new Error(`pod CIDR ${cidrText} is too small for IPAM (need /30 or larger)`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${cidr.text.replace('/', '_')}.json`);
    let state: IpamFile = { version: 1, cidr: cidr.text, lastOffset: 1, lastEndpointId: 0, allocations: [] };
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as IpamFile;
      if (parsed.version !== 1 || parsed.cidr !== cidr.text || !Array.isArray(parsed.allocations)) {
        throw new Error(`unexpected content (version ${String(parsed.version)}, cidr ${String(parsed.cidr)})`);
      }
      state = parsed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`IPAM state ${file} is unreadable; refusing to start to avoid handing out addresses twice`, { cause: err });
      }
    }
    return new Ipam(cidr, file, state);
  }

  /** Serialises mutations: each one reads the latest state and persists before the next. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  list(): IpamAllocation[] {
    return this.state.allocations.map((a) => ({ ...a }));
  }

  find(containerId: string, ifName: string): IpamAllocation | undefined {
    const a = this.state.allocations.find((x) => x.containerId === containerId && x.ifName === ifName);
    return a && { ...a };
  }

  findByIp(ip: string): IpamAllocation | undefined {
    const a = this.state.allocations.find((x) => x.ip === ip);
    return a && { ...a };
  }

  /**
   * Allocates for the owner, or returns its existing allocation (ADD is retried by runtimes).
   * `inUse` names addresses taken outside this IPAM (pods another CNI addressed before
   * Lumen took over the node): they are skipped.
   */
  allocate(owner: IpamOwner, inUse: ReadonlySet<string> = new Set()): Promise<IpamAllocation> {
    return this.exclusive(async () => {
      const existing = this.find(owner.containerId, owner.ifName);
      if (existing) return existing;
      const used = new Set(this.state.allocations.map((a) => a.ip));
      const size = cidrSize(this.cidr);
      // Offsets 0 (network), 1 (reserved for a node router address) and size-1
      // (broadcast) are never handed out.
      let ip: string | undefined;
      let offset = this.state.lastOffset;
      for (let i = 0; i < size; i++) {
        offset = offset + 1 >= size - 1 ? 2 : offset + 1;
        const candidate = intToIp(this.cidr.network + offset);
        if (!used.has(candidate) && !inUse.has(candidate)) {
          ip = candidate;
          break;
        }
      }
      if (!ip) throw new IpamExhaustedError(`pod CIDR ${this.cidr.text} has no free address (${used.size} in use)`);
      const ids = new Set(this.state.allocations.map((a) => a.endpointId));
      let endpointId = this.state.lastEndpointId;
      for (let i = 0; i <= MAX_ENDPOINT_ID; i++) {
        endpointId = endpointId >= MAX_ENDPOINT_ID ? 1 : endpointId + 1;
        if (!ids.has(endpointId)) break;
      }
      const alloc: IpamAllocation = { ...owner, ip, endpointId, allocated: new Date().toISOString() };
      const next: IpamFile = {
        ...this.state,
        lastOffset: offset,
        lastEndpointId: endpointId,
        allocations: [...this.state.allocations, alloc],
      };
      await writeAtomic(this.file, JSON.stringify(next, null, 1));
      this.state = next;
      return { ...alloc };
    });
  }

  /** Releases the owner's address; releasing something unknown is not an error (DEL is idempotent). */
  release(containerId: string, ifName: string): Promise<IpamAllocation | undefined> {
    return this.exclusive(async () => {
      const found = this.find(containerId, ifName);
      if (!found) return undefined;
      const next: IpamFile = {
        ...this.state,
        allocations: this.state.allocations.filter((a) => !(a.containerId === containerId && a.ifName === ifName)),
      };
      await writeAtomic(this.file, JSON.stringify(next, null, 1));
      this.state = next;
      return found;
    });
  }
}
