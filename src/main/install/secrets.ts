// The install's secrets: the agents' TLS certificate and the API token, generated once per session (or reused from the running install); they never leave main.
import { generateToken, selfSignedCertificate } from '../../../resources/certs.js';

export interface InstallSecrets {
  tlsCert: string;
  tlsKey: string;
  token: string;
}

/**
 * A certificate valid for every node address (the agent API listens on the node address,
 * hostNetwork) and the in-cluster names, plus a fresh token.
 */
export function generateSecrets(namespace: string, nodeAddresses: readonly string[] = []): InstallSecrets {
  const hosts = [...new Set(['lumen-agent', `lumen-agent.${namespace}.svc`, 'localhost', '127.0.0.1', ...nodeAddresses.filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a))])];
  const pair = selfSignedCertificate({ commonName: 'lumen-agent', hosts });
  return { tlsCert: pair.certPem, tlsKey: pair.keyPem, token: generateToken() };
}
