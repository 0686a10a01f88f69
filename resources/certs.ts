// Install secrets made with Node's crypto alone: a self-signed ECDSA P-256 server certificate (hand-built DER, since Node can parse X.509 but not create it) and the API token.
import { createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

// ---- minimal DER ----

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 255);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bitString = (b: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.from([unusedBits]), b);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, c: Buffer): Buffer => tlv(0xa0 | n, c);

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && b[i + 1]! < 0x80) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(text: string): Buffer {
  const parts = text.split('.').map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const groups: number[] = [];
    let v = p;
    do {
      groups.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    groups.forEach((g, i) => out.push(i < groups.length - 1 ? g | 0x80 : g));
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2) + 'Z', 'ascii')) : tlv(0x18, Buffer.from(iso + 'Z', 'ascii'));
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

function ipBytes(ip: string): Buffer | undefined {
  const p = ip.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
  return Buffer.from(p.map(Number));
}

const pem = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;

export interface SelfSignedOptions {
  commonName: string;
  /** DNS names and IPv4 addresses the certificate is valid for. */
  hosts: string[];
  days?: number;
  /** For deterministic tests. */
  now?: Date;
  key?: KeyObject;
}

export interface CertificatePair {
  certPem: string;
  keyPem: string;
}

/** A self-signed server certificate (ECDSA P-256, SHA-256) with the hosts as SANs. */
export function selfSignedCertificate(options: SelfSignedOptions): CertificatePair {
  const key = options.key ?? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the certificate key must be an ECDSA P-256 private key (the signature algorithm is ecdsa-with-SHA256)');
  }
  const spkiDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 5 * 60_000); // tolerate small clock skew between nodes
  const notAfter = new Date(now.getTime() + (options.days ?? 3650) * 86_400_000);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const name = seq(set(seq(oid(OID.organization), tlv(0x0c, Buffer.from('lumen', 'utf8')))), set(seq(oid(OID.commonName), tlv(0x0c, Buffer.from(options.commonName, 'utf8')))));
  const sans = options.hosts.map((h) => {
    const ip = ipBytes(h);
    if (ip) return tlv(0x87, ip);
    if (!/^[A-Za-z0-9*]([-A-Za-z0-9.]*[A-Za-z0-9])?$/.test(h)) throw new Error(`certificate host "${h}" is neither an IPv4 address nor a DNS name`);
    return tlv(0x82, Buffer.from(h, 'ascii'));
  });
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const extensions = explicit(3, seq(
    seq(oid(OID.basicConstraints), bool(true), octets(seq())),
    // digitalSignature only (bit 0): an ECDHE server key signs the handshake.
    seq(oid(OID.keyUsage), bool(true), octets(bitString(Buffer.from([0x80]), 7))),
    seq(oid(OID.extKeyUsage), octets(seq(oid(OID.serverAuth)))),
    seq(oid(OID.subjectAltName), octets(seq(...sans))),
  ));
  const tbs = seq(explicit(0, integer(Buffer.from([2]))), integer(serial), algorithm, name, seq(time(notBefore), time(notAfter)), name, spkiDer, extensions);
  const signature = sign('sha256', tbs, key);
  const cert = seq(tbs, algorithm, bitString(signature));
  return { certPem: pem('CERTIFICATE', cert), keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** 32 random bytes, base64url: the install token the agents require on every API request. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}
