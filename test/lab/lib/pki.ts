// The lab's certificates (one CA per lab start, ECDSA P-256 keys made with openssl) and
// kubeconfig files for the identities that talk to its apiserver.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { run } from './proc';

export interface CertRequest {
  /** File stem under the PKI dir: <name>.crt / <name>.key */
  name: string;
  cn: string;
  orgs?: string[];
  usage: 'client' | 'server' | 'both';
  dnsNames?: string[];
  ips?: string[];
}

export interface IssuedCert {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

const VALID_DAYS = 365;

function checkSubjectPart(value: string, what: string): void {
  // openssl's -subj syntax treats '/' and '=' specially; user names come from tests.
  if (!value || /[/=\\\n+,]/.test(value)) throw new Error(`${what} ${JSON.stringify(value)} may not be empty or contain / = \\ + , or newlines`);
}

async function newKey(file: string): Promise<void> {
  await run(['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
}

function extensionConfig(lines: string[]): string {
  return ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', '[ext]', ...lines, ''].join('\n');
}

/** Creates the CA (ca.crt/ca.key) and the service-account key pair (sa.key/sa.pub) in `dir`. */
export async function createAuthorities(dir: string, caName: string): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = join(dir, 'ca');
  await Promise.all([newKey(`${ca}.key`), newKey(join(dir, 'sa.key'))]);
  writeFileSync(`${ca}.cnf`, extensionConfig(['basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign,digitalSignature', 'subjectKeyIdentifier = hash']));
  await Promise.all([
    run(['openssl', 'req', '-x509', '-new', '-config', `${ca}.cnf`, '-extensions', 'ext', '-key', `${ca}.key`, '-subj', `/CN=${caName}`, '-days', String(VALID_DAYS), '-out', `${ca}.crt`]),
    run(['openssl', 'pkey', '-in', join(dir, 'sa.key'), '-pubout', '-out', join(dir, 'sa.pub')]),
  ]);
  rmSync(`${ca}.cnf`);
}

/** Issues a certificate signed by the CA in `dir`. */
export async function issueCert(dir: string, req: CertRequest): Promise<IssuedCert> {
  if (!/^[\w.:-]+$/.test(req.name)) throw new Error(`certificate file name ${JSON.stringify(req.name)} must be [A-Za-z0-9_.:-]+`);
  checkSubjectPart(req.cn, 'certificate common name');
  for (const o of req.orgs ?? []) checkSubjectPart(o, 'certificate organisation');
  if (!existsSync(join(dir, 'ca.key'))) throw new Error(`no lab CA in ${dir}: is the lab running?`);
  const stem = join(dir, req.name);
  const eku = req.usage === 'both' ? 'serverAuth,clientAuth' : req.usage === 'server' ? 'serverAuth' : 'clientAuth';
  const sans = [...(req.dnsNames ?? []).map((d) => `DNS:${d}`), ...(req.ips ?? []).map((ip) => `IP:${ip}`)];
  const ext = [
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage = ${eku}`,
    'authorityKeyIdentifier = keyid',
  ];
  if (sans.length) ext.push(`subjectAltName = ${sans.join(',')}`);
  // A per-call config name lets many certificates be issued concurrently.
  const cnf = `${stem}.${process.pid}.${Date.now()}.cnf`;
  writeFileSync(cnf, extensionConfig(ext));
  try {
    await newKey(`${stem}.key`);
    const subj = `${(req.orgs ?? []).map((o) => `/O=${o}`).join('')}/CN=${req.cn}`;
    await run(['openssl', 'req', '-x509', '-new', '-config', cnf, '-extensions', 'ext', '-key', `${stem}.key`, '-subj', subj,
      '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-days', String(VALID_DAYS), '-out', `${stem}.crt`]);
  } catch (e) {
    throw new Error(`issuing the lab certificate for CN=${req.cn} failed`, { cause: e });
  } finally {
    rmSync(cnf, { force: true });
  }
  return { cert: readFileSync(`${stem}.crt`, 'utf8'), key: readFileSync(`${stem}.key`, 'utf8'), certFile: `${stem}.crt`, keyFile: `${stem}.key` };
}

export interface KubeconfigSpec {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  user: string;
  cluster: string;
}

/** A self-contained kubeconfig (certificates embedded), as kubectl and client-node read it. */
export function kubeconfigYaml(spec: KubeconfigSpec): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const context = `${spec.user}@${spec.cluster}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.cluster, cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) } }],
    users: [{ name: spec.user, user: { 'client-certificate-data': b64(spec.certPem), 'client-key-data': b64(spec.keyPem) } }],
    contexts: [{ name: context, context: { cluster: spec.cluster, user: spec.user } }],
    'current-context': context,
  });
}

export function writeKubeconfig(path: string, spec: KubeconfigSpec): void {
  writeFileSync(path, kubeconfigYaml(spec), { mode: 0o600 });
}
