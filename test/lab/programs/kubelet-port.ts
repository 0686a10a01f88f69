// The lab kubelet's port: runs in a node's network namespace, listens on the node's address
// (the kubelet port the Node object advertises) and relays every connection to the lab
// kubelet's API socket, a unix socket the kubelet serves TLS on from the host.
//   kubelet-port <host> <port> <unix socket path>
import { connect, createServer } from 'node:net';

const [host, portText, socketPath] = process.argv.slice(2);
const port = Number(portText);
if (!host || !Number.isInteger(port) || port <= 0 || port > 65535 || !socketPath) {
  process.stderr.write('usage: kubelet-port <host> <port> <unix socket path>\n');
  process.exit(2);
}

const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});
server.on('error', (e) => {
  process.stderr.write(`kubelet-port: ${host}:${port}: ${e.message}\n`);
  process.exit(1);
});
server.listen(port, host, () => process.stdout.write(`listening ${host}:${port}\n`));
// The kubelet closes stdin when it stops: leave with it.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
