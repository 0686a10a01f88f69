// Picks the transport at startup: the preload bridge in Electron, else browser mode's WebSocket.
import { WS_PATH, bridgeTransport, createLumenClient, transportError, type LumenClient, type RawTransport } from '../../shared/contract/index.js';
import { extractToken } from './token.js';
import { createWebSocketTransport, type LinkStatus } from './ws.js';

const TOKEN_KEY = 'lumen.token';

export interface PageClient {
  client: LumenClient;
  /** Re-run after the link to main is re-established (subscriptions must be renewed). */
  onReopen(listener: () => void): () => void;
  /** Present in browser mode without a token: the page cannot reach main at all. */
  missingToken: boolean;
}

/** A transport that fails every call: browser mode opened without its token. */
function deadTransport(): RawTransport {
  return {
    invoke: () => Promise.reject(transportError('this page has no access token; open the URL printed by `npm run serve`')),
    subscribe: () => () => {},
  };
}

export function createPageClient(onLink: (status: LinkStatus) => void): PageClient {
  if (window.lumen) {
    onLink({ state: 'open', failures: 0, retryAt: null });
    return { client: createLumenClient(bridgeTransport(window.lumen), 'desktop'), onReopen: () => () => {}, missingToken: false };
  }
  const found = extractToken(window.location.search, window.location.hash);
  if (found.token) {
    // Kept for reloads of this tab only; the address bar loses it at once.
    sessionStorage.setItem(TOKEN_KEY, found.token);
    window.history.replaceState(null, '', `${window.location.pathname}${found.cleanSearch}${found.cleanHash || '#/connect'}`);
  }
  const token = found.token ?? sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    onLink({ state: 'lost', failures: 0, retryAt: null });
    return { client: createLumenClient(deadTransport(), 'browser'), onReopen: () => () => {}, missingToken: true };
  }
  const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}${WS_PATH}?token=${encodeURIComponent(token)}`;
  const transport = createWebSocketTransport({ url, onLink });
  return { client: createLumenClient(transport, 'browser'), onReopen: (l) => transport.onReopen(l), missingToken: false };
}
