// Writes the kubeconfig files the e2e tests point KUBECONFIG at (real files, real paths).
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import YAML from 'yaml';

/** A loopback port nobody listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface LabContext {
  name: string;
  cluster: string;
  user: string;
  server: string;
}

/** The first context of a kubeconfig (the lab writes one). */
export function firstContext(kubeconfigText: string): LabContext {
  const doc = YAML.parse(kubeconfigText) as {
    contexts: { name: string; context: { cluster: string; user: string } }[];
    clusters: { name: string; cluster: { server: string } }[];
  };
  const ctx = doc.contexts[0]!;
  const cluster = doc.clusters.find((c) => c.name === ctx.context.cluster)!;
  return { name: ctx.name, cluster: ctx.context.cluster, user: ctx.context.user, server: cluster.cluster.server };
}

export function writeYaml(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, YAML.stringify(value));
  return file;
}

export function writeText(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}
