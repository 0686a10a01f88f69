// `npm run manifests -- [flags]`: prints a Lumen install as multi-document YAML for kubectl apply, generating the TLS certificate and token unless given.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import { ConfigError, configKeyNames, parseConfigData } from '../agent/src/config.js';
import { generateToken, selfSignedCertificate } from './certs.js';
import { DEFAULT_IMAGE, renderManifests, type InstallOptions, type K8sObject } from './manifests.js';

export const usage = `Usage: npm run manifests -- [flags] > lumen.yaml && kubectl apply --server-side -f lumen.yaml

  --api-server https://<host>:<port>   the real API server (default: the current kubeconfig context's server)
  --image <ref>                        agent image (default ${DEFAULT_IMAGE})
  --namespace <ns>                     install namespace (default lumen-system)
  --cert-host <name|ip>                extra SAN for the agent certificate (repeatable; e.g. each node address)
  --tls-cert <file> --tls-key <file>   use this certificate instead of generating one
  --token-file <file>                  use this install token instead of generating one
  --<config-key>=<value>               any agent ConfigMap key, e.g. --kube-proxy-replacement=true,
                                       --policy-enforcement=always, --audit-namespaces=dev,qa
Config keys: ${configKeyNames.join(', ')}
`;

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

function kubeconfigServer(env: NodeJS.ProcessEnv): string | undefined {
  const file = (env.KUBECONFIG ?? `${homedir()}/.kube/config`).split(':').find((f) => f !== '');
  if (!file) return undefined;
  try {
    const kc = parseYaml(readFileSync(file, 'utf8')) as { 'current-context'?: string; contexts?: { name: string; context: { cluster: string } }[]; clusters?: { name: string; cluster: { server: string } }[] };
    const ctx = kc.contexts?.find((c) => c.name === kc['current-context']);
    return kc.clusters?.find((c) => c.name === ctx?.context.cluster)?.cluster.server;
  } catch {
    return undefined;
  }
}

/** Parses the flags into install options; secrets are generated here unless files are given. */
export function optionsFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): InstallOptions {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new CliUsageError(`unexpected argument ${JSON.stringify(arg)}`);
    let value = m[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new CliUsageError(`--${m[1]} needs a value`);
      i++;
    }
    flags.set(m[1]!, [...(flags.get(m[1]!) ?? []), value]);
  }
  const take = (name: string): string | undefined => {
    const v = flags.get(name);
    flags.delete(name);
    return v?.at(-1);
  };
  const read = (file: string, what: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (cause) {
      throw new CliUsageError(`cannot read ${what} ${file}: ${(cause as Error).message}`, { cause });
    }
  };
  const apiServer = take('api-server') ?? kubeconfigServer(env);
  if (!apiServer) throw new CliUsageError('--api-server is required (no kubeconfig context to take it from)');
  const image = take('image');
  const namespace = take('namespace') ?? 'lumen-system';
  const hosts = flags.get('cert-host') ?? [];
  flags.delete('cert-host');
  const certFile = take('tls-cert');
  const keyFile = take('tls-key');
  const tokenFile = take('token-file');
  if (!!certFile !== !!keyFile) throw new CliUsageError('--tls-cert and --tls-key go together');

  const configData: Record<string, string> = {};
  for (const [name, values] of flags) {
    if (!configKeyNames.includes(name)) throw new CliUsageError(`unknown flag --${name} (not an option and not a config key; see --help)`);
    configData[name] = values.at(-1)!;
  }
  let config;
  try {
    config = parseConfigData(configData, 'command-line flags');
  } catch (err) {
    if (err instanceof ConfigError) throw new CliUsageError(err.message, { cause: err });
    throw err;
  }
  const pair = certFile && keyFile
    ? { certPem: read(certFile, '--tls-cert'), keyPem: read(keyFile, '--tls-key') }
    : selfSignedCertificate({ commonName: 'lumen-agent', hosts: ['lumen-agent', `lumen-agent.${namespace}.svc`, 'localhost', '127.0.0.1', ...hosts] });
  const token = tokenFile ? read(tokenFile, '--token-file').trim() : generateToken();
  return { apiServer, image, namespace, config, secrets: { tlsCert: pair.certPem, tlsKey: pair.keyPem, token } };
}

export function toYamlDocuments(objects: K8sObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
  } else {
    try {
      process.stdout.write(toYamlDocuments(renderManifests(optionsFromArgs(argv))));
    } catch (err) {
      process.stderr.write(`manifests: ${(err as Error).message}\n${err instanceof CliUsageError ? '\nRun with --help for the flags.\n' : ''}`);
      process.exitCode = err instanceof CliUsageError ? 2 : 1;
    }
  }
}
