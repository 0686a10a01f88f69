// Kernel event producer for test/bench/agent-flows.ts: reuses the bench's pinned maps and runs to_container over a packet for an unknown endpoint through BPF_PROG_TEST_RUN in a loop, so every run emits one drop event into the shared ring buffer.
// argv: <pinDir> <seconds>. Prints one JSON line {runs, seconds} when done.
import { Datapath } from '../../agent/native/index.js';

/** Ethernet + IPv4 + TCP SYN, valid IPv4 checksum, 10.251.0.1:40000 -> 10.251.0.2:8080 (a test range). */
export function synPacket(): Buffer {
  const b = Buffer.alloc(14 + 20 + 20);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  b.writeUInt16BE(0x0800, 12);
  const ip = 14;
  b.writeUInt8(0x45, ip);
  b.writeUInt16BE(40, ip + 2);
  b.writeUInt16BE(0x4000, ip + 6); // DF, no fragment
  b.writeUInt8(64, ip + 8);
  b.writeUInt8(6, ip + 9);
  b.set([10, 251, 0, 1], ip + 12);
  b.set([10, 251, 0, 2], ip + 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += b.readUInt16BE(ip + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, ip + 10);
  const tcp = ip + 20;
  b.writeUInt16BE(40000, tcp);
  b.writeUInt16BE(8080, tcp + 2);
  b.writeUInt32BE(1, tcp + 4);
  b.writeUInt8(0x50, tcp + 12);
  b.writeUInt8(0x02, tcp + 13);
  b.writeUInt16BE(65535, tcp + 14);
  return b;
}

/** Small maps (the bench needs only the ring buffer); parent and producer must agree or the second load fails. */
export const BENCH_MAP_SIZES = { ct: 4096, services: 1024, backends: 1024, policy: 1024, ipcache: 1024, endpoints: 256, affinity: 256, sock: 256, revNat: 1024, eventsBytes: 4 << 20 };

async function main(): Promise<void> {
  const [pinDir, secondsText] = process.argv.slice(2);
  if (!pinDir || !secondsText) throw new Error('usage: agent-flows-producer.ts <pinDir> <seconds>');
  const dp = Datapath.load({ pinDir, objects: ['lxc'], mapSizes: BENCH_MAP_SIZES });
  const pkt = synPacket();
  const end = performance.now() + Number(secondsText) * 1000;
  let runs = 0;
  const t0 = performance.now();
  try {
    while (performance.now() < end) {
      dp.testRun('to_container', { data: pkt, repeat: 2048 });
      runs += 2048;
    }
  } finally {
    dp.close();
  }
  process.stdout.write(`${JSON.stringify({ runs, seconds: (performance.now() - t0) / 1000 })}\n`);
}

if (process.argv[1]?.endsWith('agent-flows-producer.ts')) {
  main().catch((err: unknown) => {
    process.stderr.write(`producer: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
