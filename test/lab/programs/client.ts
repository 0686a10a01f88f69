// The lab's test client (image lumen.dev/lab/client). Idles by default; tests exec it:
//   client tcp|udp <ip> <port> [message]   one request, prints the echo reply
//   client http <ip> <port> [path]         one GET, prints the status line and body
//   client connect <ip> <port>             TCP connect only, prints "connected"
//   client load <ip> <port> [--interval-ms N] [--long-lived M] [--duration-s S] [--report-ms R]
//     opens a new TCP connection every N ms and keeps M long-lived ones exchanging a
//     line every N ms; prints JSON lines: every failure, a summary every R ms, a final one.
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';

const [mode = 'idle', ...rest] = process.argv.slice(2);
/** Positional arguments: everything but `--flag value` pairs. */
const positional = rest.filter((a, i) => !a.startsWith('--') && !rest[i - 1]?.startsWith('--'));

function usage(msg: string): never {
  process.stderr.write(`client: ${msg}\nusage: client idle | tcp|udp <ip> <port> [message] | http <ip> <port> [path] | connect <ip> <port> | load <ip> <port> [--interval-ms N] [--long-lived M] [--duration-s S] [--report-ms R] [--timeout-ms T]\n`);
  process.exit(2);
}

function flag(name: string, def: number): number {
  const i = rest.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(rest[i + 1]);
  if (!Number.isFinite(v) || v < 0) usage(`--${name} needs a non-negative number`);
  return v;
}

function target(): { host: string; port: number } {
  const [host, portText] = positional;
  const port = Number(portText);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) usage(`${mode} needs <ip> <port>`);
  return { host, port };
}

const timeoutMs = flag('timeout-ms', 3000);

function fail(msg: string): never {
  process.stderr.write(`client: ${msg}\n`);
  process.exit(1);
}

/** One TCP exchange: connect, send a line, resolve with the first reply line. */
function tcpOnce(host: string, port: number, message: string, timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`tcp ${host}:${port}: timed out after ${timeout} ms`));
    }, timeout);
    sock.on('connect', () => sock.write(`${message}\n`));
    sock.on('data', (c) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        sock.end();
        resolve(buf.slice(0, nl));
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`tcp ${host}:${port}: ${e.message}`));
    });
    sock.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`tcp ${host}:${port}: connection closed without a reply`));
    });
  });
}

function udpOnce(host: string, port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`udp ${host}:${port}: no reply after ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg.toString().replace(/\n$/, ''));
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`udp ${host}:${port}: ${e.message}`));
    });
    sock.send(message, port, host);
  });
}

function httpOnce(host: string, port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(`HTTP ${res.statusCode}\n${body.replace(/\n$/, '')}`));
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new Error(`http ${host}:${port}${path}: ${e.message}`)));
    req.end();
  });
}

interface LongConn {
  sock?: Socket;
  buf: string;
  waiting: boolean;
  sentAt: number;
}

function load(): void {
  const { host, port } = target();
  const interval = flag('interval-ms', 100);
  const longCount = flag('long-lived', 0);
  const durationS = flag('duration-s', 0);
  const reportMs = flag('report-ms', 1000);
  const loadTimeout = flag('timeout-ms', 1000);
  const t0 = Date.now();
  const stats = { newOk: 0, newFail: 0, longOk: 0, longFail: 0, longReconnects: 0, pods: {} as Record<string, number> };
  const emit = (o: object): void => void process.stdout.write(`${JSON.stringify({ t: Date.now() - t0, ...o })}\n`);
  const seen = (line: string): void => {
    try {
      const p = (JSON.parse(line) as { pod?: string }).pod ?? '?';
      stats.pods[p] = (stats.pods[p] ?? 0) + 1;
    } catch {
      // Not an echo reply; counted as ok anyway.
    }
  };
  const conns: LongConn[] = [];
  const openLong = (c: LongConn): void => {
    c.buf = '';
    c.waiting = false;
    const sock = connect({ host, port });
    c.sock = sock;
    sock.on('data', (d) => {
      c.buf += d.toString();
      const nl = c.buf.indexOf('\n');
      if (nl >= 0) {
        seen(c.buf.slice(0, nl));
        c.buf = c.buf.slice(nl + 1);
        c.waiting = false;
        stats.longOk++;
      }
    });
    const broken = (why: string): void => {
      if (c.sock !== sock) return;
      c.sock = undefined;
      stats.longFail++;
      emit({ event: 'fail', kind: 'long', error: why });
      sock.destroy();
      stats.longReconnects++;
      setTimeout(() => openLong(c), interval);
    };
    sock.on('error', (e) => broken(e.message));
    sock.on('close', () => broken('connection closed'));
  };
  for (let i = 0; i < longCount; i++) {
    const c: LongConn = { buf: '', waiting: false, sentAt: 0 };
    conns.push(c);
    openLong(c);
  }
  const tick = setInterval(() => {
    tcpOnce(host, port, 'load', loadTimeout).then(
      (line) => {
        stats.newOk++;
        seen(line);
      },
      (e: Error) => {
        stats.newFail++;
        emit({ event: 'fail', kind: 'new', error: e.message });
      },
    );
    for (const c of conns) {
      if (!c.sock || c.sock.connecting) continue;
      if (c.waiting && Date.now() - c.sentAt > loadTimeout) {
        c.sock.destroy(new Error(`no reply within ${loadTimeout} ms`));
        continue;
      }
      if (!c.waiting) {
        c.waiting = true;
        c.sentAt = Date.now();
        c.sock.write('long\n');
      }
    }
  }, interval);
  const report = setInterval(() => emit({ event: 'summary', ...stats, longOpen: conns.filter((c) => c.sock).length }), reportMs);
  const finish = (): void => {
    clearInterval(tick);
    clearInterval(report);
    emit({ event: 'final', ...stats, longOpen: conns.filter((c) => c.sock).length });
    process.exit(stats.newFail + stats.longFail > 0 ? 1 : 0);
  };
  process.on('SIGTERM', finish);
  process.on('SIGINT', finish);
  if (durationS > 0) setTimeout(finish, durationS * 1000);
}

async function main(): Promise<void> {
  switch (mode) {
    case 'idle':
      process.on('SIGTERM', () => process.exit(0));
      setInterval(() => undefined, 1 << 30);
      return;
    case 'tcp': {
      const { host, port } = target();
      process.stdout.write(`${await tcpOnce(host, port, positional[2] ?? 'hello', timeoutMs)}\n`);
      return;
    }
    case 'udp': {
      const { host, port } = target();
      process.stdout.write(`${await udpOnce(host, port, positional[2] ?? 'hello')}\n`);
      return;
    }
    case 'http': {
      const { host, port } = target();
      process.stdout.write(`${await httpOnce(host, port, positional[2] ?? '/')}\n`);
      return;
    }
    case 'connect': {
      const { host, port } = target();
      await new Promise<void>((resolve, reject) => {
        const sock = connect({ host, port });
        const timer = setTimeout(() => reject(new Error(`connect ${host}:${port}: timed out after ${timeoutMs} ms`)), timeoutMs);
        sock.on('connect', () => {
          clearTimeout(timer);
          sock.destroy();
          resolve();
        });
        sock.on('error', (e) => {
          clearTimeout(timer);
          reject(new Error(`connect ${host}:${port}: ${e.message}`));
        });
      });
      process.stdout.write('connected\n');
      return;
    }
    case 'load':
      load();
      return;
    default:
      usage(`unknown mode ${JSON.stringify(mode)}`);
  }
}

main().catch((e: unknown) => fail((e as Error).message));
