// The lab's echo server (image lumen.dev/lab/echo): on every port of ECHO_PORTS
// ("8080,9000/udp"; TCP ports also speak HTTP) it answers with its pod name and the peer
// address it saw, so tests can tell backends apart and see source addresses.
// POD_NAME (else HOSTNAME) names it; ECHO_HOST picks the listen address (default all).
import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';

const pod = process.env.POD_NAME ?? process.env.HOSTNAME ?? hostname();

export interface EchoReply {
  pod: string;
  proto: 'tcp' | 'udp' | 'http';
  port: number;
  peer: string;
  local?: string;
  echo?: string;
  method?: string;
  path?: string;
}

function parsePorts(spec: string): Array<{ port: number; proto: 'tcp' | 'udp' }> {
  return spec.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^(\d+)(?:\/(tcp|udp))?$/i.exec(s);
    if (!m) throw new Error(`ECHO_PORTS: bad entry ${JSON.stringify(s)} (want "8080" or "8080/udp")`);
    return { port: Number(m[1]), proto: (m[2]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp' };
  });
}

const addr = (ip: string | undefined, port: number | undefined): string => `${ip ?? ''}:${port ?? 0}`;

const HTTP_METHOD = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH) (\S+) HTTP\/1\.[01]$/;

function handleTcp(sock: Socket, port: number): void {
  let buf = '';
  let http = false;
  const base = { pod, port, peer: addr(sock.remoteAddress, sock.remotePort), local: addr(sock.localAddress, sock.localPort) };
  sock.on('data', (chunk) => {
    buf += chunk.toString('utf8');
    for (;;) {
      if (http) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end).split('\r\n');
        buf = buf.slice(end + 4);
        const m = HTTP_METHOD.exec((head[0] ?? '').replace(/\r$/, ''));
        const body = `${JSON.stringify({ ...base, proto: 'http', method: m?.[1], path: m?.[2] } satisfies EchoReply)}\n`;
        const code = /^\/status\/(\d{3})/.exec(m?.[2] ?? '')?.[1] ?? '200';
        sock.write(`HTTP/1.1 ${code} X\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        http = false;
        continue;
      }
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl).replace(/\r$/, '');
      if (HTTP_METHOD.test(line)) {
        http = true;
        continue;
      }
      buf = buf.slice(nl + 1);
      sock.write(`${JSON.stringify({ ...base, proto: 'tcp', echo: line } satisfies EchoReply)}\n`);
    }
  });
  sock.on('error', () => undefined);
}

// Pods listen on all their addresses; tests outside a pod bind loopback (ECHO_HOST).
const host = process.env.ECHO_HOST || '0.0.0.0';
const servers: Array<Server | ReturnType<typeof createSocket>> = [];
const ports = parsePorts(process.env.ECHO_PORTS || '8080,8080/udp');
for (const { port, proto } of ports) {
  if (proto === 'tcp') {
    const srv = createServer((s) => handleTcp(s, port));
    srv.listen({ port, host }, () => process.stdout.write(`echo ${pod}: listening tcp+http ${port}\n`));
    srv.on('error', (e) => {
      process.stderr.write(`echo ${pod}: tcp ${port}: ${e.message}\n`);
      process.exit(1);
    });
    servers.push(srv);
  } else {
    const sock = createSocket({ type: 'udp4' });
    sock.on('message', (msg, rinfo) => {
      const reply: EchoReply = { pod, proto: 'udp', port, peer: addr(rinfo.address, rinfo.port), echo: msg.toString('utf8').replace(/\n$/, '') };
      sock.send(`${JSON.stringify(reply)}\n`, rinfo.port, rinfo.address);
    });
    sock.on('error', (e) => {
      process.stderr.write(`echo ${pod}: udp ${port}: ${e.message}\n`);
      process.exit(1);
    });
    sock.bind(port, host, () => process.stdout.write(`echo ${pod}: listening udp ${port}\n`));
    servers.push(sock);
  }
}

process.on('SIGTERM', () => {
  process.stdout.write(`echo ${pod}: SIGTERM, exiting\n`);
  process.exit(0);
});
