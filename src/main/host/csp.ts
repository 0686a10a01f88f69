// The Content-Security-Policy of the console's pages, the same in Electron and browser mode.

export interface CspOptions {
  /** Extra connect-src sources (browser mode: the WebSocket origin). */
  connect?: readonly string[];
  /** Development server origin (electron-vite dev): allows its HMR scripts and socket. */
  devServer?: string;
}

/**
 * Scripts only from the app itself; no plugins, frames, forms or base rewriting. Styles
 * from the app; React's `style` props go through the CSSOM, which CSP does not restrict.
 */
export function contentSecurityPolicy(options: CspOptions = {}): string {
  const dev = options.devServer;
  const devWs = dev ? dev.replace(/^http/, 'ws') : undefined;
  const directives: [string, string[]][] = [
    ['default-src', ["'none'"]],
    // The dev server's React refresh preamble is an inline module script: dev only.
    ['script-src', dev ? ["'self'", "'unsafe-inline'", dev] : ["'self'"]],
    ['style-src', dev ? ["'self'", "'unsafe-inline'", dev] : ["'self'"]],
    ['img-src', ["'self'", 'data:']],
    ['font-src', ["'self'"]],
    ['connect-src', ["'self'", ...(options.connect ?? []), ...(dev && devWs ? [dev, devWs] : [])]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
    ['object-src', ["'none'"]],
  ];
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');
}

/** Replaces the CSP meta tag of index.html (the policy for file:// pages, where there are no headers). */
export function withCspMeta(html: string, policy: string): string {
  // frame-ancestors is ignored (with a console warning) in a meta policy; the header carries it.
  const metaPolicy = policy.split('; ').filter((d) => !d.startsWith('frame-ancestors ')).join('; ');
  const tag = `<meta http-equiv="Content-Security-Policy" content="${metaPolicy.replace(/"/g, '&quot;')}" />`;
  const existing = /<meta\s+http-equiv="Content-Security-Policy"[^>]*>/i;
  return existing.test(html) ? html.replace(existing, tag) : html.replace(/<head>/i, `<head>\n    ${tag}`);
}
