// The main window's hardening: isolated sandboxed renderer, CSP, no new windows, no navigation
// away, IPC only from the app's own frame. Electron objects come in as arguments: only the
// entry (src/main/index.ts) and the IPC host touch the electron module itself.
import type { BrowserWindowConstructorOptions, Session, WebContents, WebFrameMain } from 'electron';
import { pathToFileURL } from 'node:url';
import { logger } from '../log.js';
import { contentSecurityPolicy } from './csp.js';

const log = logger('host:window');

export interface WindowConfig {
  /** Absolute path of the bundled preload (out/preload/index.cjs). */
  preload: string;
  /** Absolute path of out/renderer/index.html. */
  rendererFile: string;
  /** electron-vite dev server URL, when developing. */
  devServerUrl?: string | undefined;
}

/** Decides whether a URL is the console itself: the built index.html, or the dev server. */
export function appUrlMatcher(config: WindowConfig): (url: string) => boolean {
  const fileUrl = pathToFileURL(config.rendererFile).href;
  const devOrigin = config.devServerUrl ? new URL(config.devServerUrl).origin : undefined;
  return (url: string) => {
    if (!url) return false;
    if (url === fileUrl || url.startsWith(`${fileUrl}#`) || url.startsWith(`${fileUrl}?`)) return true;
    if (!devOrigin) return false;
    try {
      return new URL(url).origin === devOrigin;
    } catch {
      return false;
    }
  };
}

/** IPC calls are answered only for the app's own top-level frame (not iframes, not foreign pages). */
export function isTrustedSender(frame: WebFrameMain | null | undefined, isAppUrl: (url: string) => boolean): boolean {
  if (!frame) return false;
  if (frame.parent) return false;
  return isAppUrl(frame.url);
}

export function installSessionPolicy(ses: Session, config: WindowConfig): void {
  const policy = contentSecurityPolicy(config.devServerUrl ? { devServer: new URL(config.devServerUrl).origin } : {});
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
  // The console needs no camera, notifications, geolocation...: refuse every request.
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
}

/** Applied to every WebContents the app creates. */
export function hardenContents(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  contents.setWindowOpenHandler(({ url }) => {
    log.warn(`denied a new window for ${url}`);
    return { action: 'deny' };
  });
  const guard = (event: { preventDefault(): void }, url: string) => {
    if (!isAppUrl(url)) {
      log.warn(`blocked navigation to ${url}`);
      event.preventDefault();
    }
  };
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function mainWindowOptions(config: WindowConfig): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 880,
    minHeight: 560,
    show: false,
    title: 'Lumen',
    backgroundColor: '#0f1115',
    webPreferences: {
      preload: config.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}
