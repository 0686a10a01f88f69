// Install-token check for the HTTPS API: token from the mounted Secret file (re-read when it changes), compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { AGENT_TOKEN_HEADER } from '../../../src/shared/agent-api/index.js';

/** Bytes of a Secret-mounted token file; too short to be worth guessing is refused. */
const MIN_TOKEN_LENGTH = 16;
const RECHECK_MS = 5_000;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The token a request presents: `Authorization: Bearer <t>` or the x-lumen-token header. */
export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const h = headers[AGENT_TOKEN_HEADER];
  const v = Array.isArray(h) ? h[0] : h;
  return v?.trim() || undefined;
}

export class TokenAuth {
  private expected: Buffer;
  private mtimeMs: number;
  private checkedAt = 0;

  /** Reads the token file now; throws (naming the file) when it is missing, unreadable or too short. */
  constructor(private readonly file: string, private readonly log: (m: string) => void = (m) => console.warn(`[api] ${m}`)) {
    const { token, mtimeMs } = TokenAuth.read(file);
    this.expected = digest(token);
    this.mtimeMs = mtimeMs;
  }

  private static read(file: string): { token: string; mtimeMs: number } {
    let token: string;
    let mtimeMs: number;
    try {
      token = readFileSync(file, 'utf8').trim();
      mtimeMs = statSync(file).mtimeMs;
    } catch (cause) {
      throw new Error(`cannot read the API token file ${file}: ${(cause as Error).message}`, { cause });
    }
    if (token.length < MIN_TOKEN_LENGTH) throw new Error(`the API token in ${file} is ${token.length} characters; at least ${MIN_TOKEN_LENGTH} are required`);
    return { token, mtimeMs };
  }

  /** Picks up a rotated Secret (the kubelet swaps the file) without a restart. */
  private refresh(): void {
    const now = Date.now();
    if (now - this.checkedAt < RECHECK_MS) return;
    this.checkedAt = now;
    try {
      if (statSync(this.file).mtimeMs === this.mtimeMs) return;
      const { token, mtimeMs } = TokenAuth.read(this.file);
      this.expected = digest(token);
      this.mtimeMs = mtimeMs;
      this.log(`API token reloaded from ${this.file}`);
    } catch (err) {
      this.log(`keeping the previous API token: ${(err as Error).message}`);
    }
  }

  /** Whether the request carries the install token. Both sides are hashed first so lengths match and timing says nothing. */
  check(headers: IncomingHttpHeaders): boolean {
    this.refresh();
    const given = presentedToken(headers);
    if (given === undefined) return false;
    return timingSafeEqual(digest(given), this.expected);
  }
}
