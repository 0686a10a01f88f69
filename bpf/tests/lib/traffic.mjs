// Test traffic inside network namespaces (plain JS: it starts fast under `ip netns exec`).
//   node traffic.mjs server <name> <tcpPort> <udpPort>
//     TCP: greets "hello <name> <peer ip>:<peer port>", then echoes lines as "<name> <line>".
//     UDP: answers each datagram with "<name> <datagram>". Prints "ready" when listening.
//   node traffic.mjs driver
//     Reads JSON commands on stdin, answers one JSON line each (same id): tcp-once,
//     udp-once, udp-connected, tcp-open, tcp-send, tcp-close (see runCommand).
import net from 'node:net';
import dgram from 'node:dgram';
import readline from 'node:readline';

const [mode, ...args] = process.argv.slice(2);

function server(name, tcpPort, udpPort) {
  let pending = 2;
  const ready = () => { if (--pending === 0) console.log('ready'); };
  net.createServer((s) => {
    s.setNoDelay(true);
    s.write(`hello ${name} ${s.remoteAddress}:${s.remotePort}\n`);
    readline.createInterface({ input: s }).on('line', (l) => s.write(`${name} ${l}\n`));
    s.on('error', () => {});
  }).listen(Number(tcpPort), '0.0.0.0', ready);
  const u = dgram.createSocket('udp4');
  u.on('message', (m, r) => u.send(`${name} ${m}`, r.port, r.address));
  u.bind(Number(udpPort), '0.0.0.0', ready);
}

function firstLine(sock, timeoutMs) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('timeout')), timeoutMs);
    const onData = (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        clearTimeout(t);
        sock.off('data', onData);
        resolve(buf.slice(0, i));
      }
    };
    sock.on('data', onData);
    sock.once('error', (e) => { clearTimeout(t); reject(e); });
  });
}

function connect(host, port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.setNoDelay(true);
    const t = setTimeout(() => { s.destroy(); reject(new Error('connect timeout')); }, timeoutMs);
    s.once('connect', () => { clearTimeout(t); resolve(s); });
    s.once('error', (e) => { clearTimeout(t); reject(e); });
  });
}

const conns = new Map();

async function runCommand(c) {
  const timeoutMs = c.timeoutMs ?? 2000;
  switch (c.op) {
    case 'tcp-once': {
      const s = await connect(c.host, c.port, timeoutMs);
      try {
        const hello = await firstLine(s, timeoutMs);
        return { server: hello.split(' ')[1], seenAs: hello.split(' ')[2], peer: `${s.remoteAddress}:${s.remotePort}` };
      } finally {
        s.destroy();
      }
    }
    case 'udp-once': {
      const u = dgram.createSocket('udp4');
      try {
        return await new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('timeout')), timeoutMs);
          u.on('message', (m, r) => { clearTimeout(t); resolve({ server: m.toString().split(' ')[0], from: `${r.address}:${r.port}` }); });
          u.on('error', (e) => { clearTimeout(t); reject(e); });
          u.send('ping', c.port, c.host);
        });
      } finally {
        u.close();
      }
    }
    case 'udp-connected': {
      // connect() first: the socket LB translates at connect4 and answers getpeername4 /
      // recvmsg4 from the socket's own slot instead of the per-datagram map.
      const u = dgram.createSocket('udp4');
      try {
        return await new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('timeout')), timeoutMs);
          u.on('error', (e) => { clearTimeout(t); reject(e); });
          u.connect(c.port, c.host, () => {
            const peer = u.remoteAddress();
            u.on('message', (m, r) => { clearTimeout(t); resolve({ server: m.toString().split(' ')[0], from: `${r.address}:${r.port}`, peer: `${peer.address}:${peer.port}` }); });
            u.send('ping');
          });
        });
      } finally {
        u.close();
      }
    }
    case 'tcp-open': {
      const s = await connect(c.host, c.port, timeoutMs);
      const hello = await firstLine(s, timeoutMs);
      conns.set(c.conn, s);
      return { server: hello.split(' ')[1], peer: `${s.remoteAddress}:${s.remotePort}` };
    }
    case 'tcp-send': {
      const s = conns.get(c.conn);
      if (!s) throw new Error(`no connection ${c.conn}`);
      const reply = firstLine(s, timeoutMs);
      s.write(`${c.text}\n`);
      return { reply: await reply };
    }
    case 'tcp-close': {
      conns.get(c.conn)?.end();
      conns.delete(c.conn);
      return {};
    }
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

function driver() {
  readline.createInterface({ input: process.stdin }).on('line', async (line) => {
    let c;
    try {
      c = JSON.parse(line);
      const r = await runCommand(c);
      process.stdout.write(`${JSON.stringify({ id: c.id, ok: true, ...r })}\n`);
    } catch (err) {
      process.stdout.write(`${JSON.stringify({ id: c?.id, ok: false, error: String(err.message ?? err) })}\n`);
    }
  });
  process.stdin.on('end', () => process.exit(0));
  console.log('ready');
}

if (mode === 'server') server(...args);
else if (mode === 'driver') driver();
else {
  console.error('usage: traffic.mjs server <name> <tcpPort> <udpPort> | driver');
  process.exit(2);
}
