// Tests of the Electron shell without the Electron binary: the real entry (src/main/index.ts)
// is loaded with a stand-in `electron` module that records what the app, window, session
// and ipcMain are asked to do; IPC calls then run through the real dispatcher and services.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

type Listener = (...args: unknown[]) => unknown;

const fake = vi.hoisted(() => {
  class FakeContents {
    static nextId = 1;
    id = FakeContents.nextId++;
    listeners = new Map<string, Listener[]>();
    openHandler: Listener | undefined;
    sent: [string, unknown][] = [];
    setWindowOpenHandler(handler: Listener) {
      this.openHandler = handler;
    }
    on(event: string, fn: Listener) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
      return this;
    }
    once(event: string, fn: Listener) {
      return this.on(event, fn);
    }
    emit(event: string, ...args: unknown[]) {
      for (const fn of this.listeners.get(event) ?? []) fn(...args);
    }
    isDestroyed() {
      return false;
    }
    send(channel: string, payload: unknown) {
      this.sent.push([channel, payload]);
    }
  }
  class FakeWindow {
    static created: FakeWindow[] = [];
    webContents = new FakeContents();
    loaded: { file?: string; url?: string } = {};
    constructor(public options: { webPreferences: Record<string, unknown> }) {
      FakeWindow.created.push(this);
    }
    once() {}
    on() {}
    show() {}
    loadFile(file: string) {
      this.loaded.file = file;
      return Promise.resolve();
    }
    loadURL(url: string) {
      this.loaded.url = url;
      return Promise.resolve();
    }
  }
  const session = {
    headersListener: undefined as Listener | undefined,
    permissionRequest: undefined as Listener | undefined,
    permissionCheck: undefined as Listener | undefined,
  };
  const ipcHandlers = new Map<string, Listener>();
  const appListeners = new Map<string, Listener[]>();
  const app = {
    isPackaged: false,
    sandboxEnabled: false,
    enableSandbox() {
      this.sandboxEnabled = true;
    },
    on(event: string, fn: Listener) {
      appListeners.set(event, [...(appListeners.get(event) ?? []), fn]);
    },
    whenReady: () => Promise.resolve(),
    requestSingleInstanceLock: () => true,
    quit() {},
  };
  return { FakeContents, FakeWindow, session, ipcHandlers, appListeners, app };
});

vi.mock('electron', () => ({
  BrowserWindow: fake.FakeWindow,
  app: fake.app,
  ipcMain: {
    handle: (channel: string, fn: Listener) => fake.ipcHandlers.set(channel, fn),
    removeHandler: (channel: string) => fake.ipcHandlers.delete(channel),
  },
  session: {
    defaultSession: {
      webRequest: { onHeadersReceived: (fn: Listener) => (fake.session.headersListener = fn) },
      setPermissionRequestHandler: (fn: Listener) => (fake.session.permissionRequest = fn),
      setPermissionCheckHandler: (fn: Listener) => (fake.session.permissionCheck = fn),
    },
  },
}));

const { appUrlMatcher, isTrustedSender } = await import('./window.js');
const { registerIpc } = await import('./ipc.js');
const { requestChannels } = await import('../../shared/contract/index.js');
// Loading the entry starts the app against the stand-in: sandbox, hardening, window, IPC.
const { windowConfig } = await import('../index.js');
await new Promise((resolve) => setTimeout(resolve, 0));
const started = { window: fake.FakeWindow.created[0]!, handlers: new Map(fake.ipcHandlers) };

const mainDir = path.dirname(fileURLToPath(new URL('../index.ts', import.meta.url)));
const config = windowConfig(mainDir, undefined);
const appUrl = pathToFileURL(config.rendererFile).href;

afterAll(() => {
  for (const fn of fake.appListeners.get('will-quit') ?? []) fn();
});

describe('main window (created by the entry)', () => {
  it('has an isolated, sandboxed renderer with only the preload', () => {
    expect(fake.FakeWindow.created).toHaveLength(1);
    expect(started.window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: path.join(mainDir, '../preload/index.cjs'),
    });
    expect(started.window.loaded.file).toBe(path.join(mainDir, '../renderer/index.html'));
    expect(fake.app.sandboxEnabled).toBe(true);
  });

  it("sets a CSP header with script-src 'self' on every response and refuses permissions", () => {
    let answer: { responseHeaders: Record<string, string[]> } | undefined;
    fake.session.headersListener!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (r: typeof answer) => (answer = r));
    const csp = answer!.responseHeaders['Content-Security-Policy']![0]!;
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(answer!.responseHeaders['Content-Type']).toEqual(['text/html']);
    let granted: boolean | undefined;
    fake.session.permissionRequest!({}, 'notifications', (ok: boolean) => (granted = ok));
    expect(granted).toBe(false);
    expect(fake.session.permissionCheck!()).toBe(false);
  });

  it('denies new windows and navigation away from the app, allows in-app routes', () => {
    const contents = started.window.webContents;
    expect(contents.openHandler!({ url: 'https://evil.example' })).toEqual({ action: 'deny' });
    const navigate = (url: string) => {
      const event = { prevented: false, preventDefault() { this.prevented = true; } };
      contents.emit('will-navigate', event, url);
      return event.prevented;
    };
    expect(navigate('https://evil.example/')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(navigate(`${appUrl}#/connect?context=x`)).toBe(false);
    const redirect = { prevented: false, preventDefault() { this.prevented = true; } };
    contents.emit('will-redirect', redirect, 'http://127.0.0.1:9/');
    expect(redirect.prevented).toBe(true);
    const webview = { prevented: false, preventDefault() { this.prevented = true; } };
    contents.emit('will-attach-webview', webview);
    expect(webview.prevented).toBe(true);
  });

  it('hardens every other WebContents the app creates', () => {
    const contents = new fake.FakeContents();
    for (const fn of fake.appListeners.get('web-contents-created') ?? []) fn({}, contents);
    expect(contents.openHandler!({ url: 'https://x' })).toEqual({ action: 'deny' });
    expect(contents.listeners.get('will-navigate')).toHaveLength(1);
  });

  it('checks the sender frame on every IPC channel and answers the app through the real services', async () => {
    expect([...started.handlers.keys()].sort()).toEqual([...requestChannels].sort());
    const frame = (url: string, parent: unknown = null) => ({ url, parent });
    for (const [channel, handler] of started.handlers) {
      const refused = await handler({ senderFrame: frame('https://evil.example/'), sender: started.window.webContents }, {});
      expect(refused).toEqual({ ok: false, error: { code: 'forbidden', message: `${channel}: the calling page is not the Lumen console` } });
    }
    const info = await started.handlers.get('app:info')!({ senderFrame: frame(`${appUrl}#/connect`), sender: started.window.webContents }, {});
    expect(info).toMatchObject({ ok: true, value: { name: 'Lumen', mode: 'desktop' } });
  });

  it('trusts the dev server origin only when one is configured', () => {
    const dev = appUrlMatcher({ ...config, devServerUrl: 'http://localhost:5173/' });
    expect(dev('http://localhost:5173/#/connect')).toBe(true);
    expect(dev('http://localhost:5174/')).toBe(false);
    expect(appUrlMatcher(config)('http://localhost:5173/')).toBe(false);
  });
});

describe('IPC host', () => {
  const dispatched: [unknown, unknown][] = [];
  const dispatcher = {
    dispatch: async (channel: unknown, request: unknown) => {
      dispatched.push([channel, request]);
      return { ok: true as const, value: 'answer' };
    },
    addPeer: (_t: string, deliver: (e: string, p: unknown) => void) => ({ id: 'p', transport: 'ipc' as const, send: deliver }),
    removePeer: () => {},
    broadcast: () => {},
    peerCount: 0,
  };
  const frame = (url: string, parent: unknown = null) => ({ url, parent });

  it('registers one handler per contract channel, each checking the sender frame', async () => {
    fake.ipcHandlers.clear();
    registerIpc({ handle: (c: string, fn: Listener) => fake.ipcHandlers.set(c, fn), removeHandler: () => {} } as never, dispatcher as never, appUrlMatcher(config));
    expect([...fake.ipcHandlers.keys()].sort()).toEqual([...requestChannels].sort());
    const contents = new fake.FakeContents();
    for (const channel of requestChannels) {
      const handler = fake.ipcHandlers.get(channel)!;
      dispatched.length = 0;
      const foreign = await handler({ senderFrame: frame('https://evil.example/'), sender: contents }, {});
      expect(foreign).toEqual({ ok: false, error: { code: 'forbidden', message: `${channel}: the calling page is not the Lumen console` } });
      const iframe = await handler({ senderFrame: frame(appUrl, frame(appUrl)), sender: contents }, {});
      expect(iframe).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      const gone = await handler({ senderFrame: null, sender: contents }, {});
      expect(gone).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(dispatched).toEqual([]);
      const own = await handler({ senderFrame: frame(`${appUrl}#/connect`), sender: contents }, { x: 1 });
      expect(own).toEqual({ ok: true, value: 'answer' });
      expect(dispatched).toEqual([[channel, { x: 1 }]]);
    }
  });

  it('isTrustedSender accepts only the app top frame', () => {
    const isApp = appUrlMatcher(config);
    expect(isTrustedSender(frame(appUrl) as never, isApp)).toBe(true);
    expect(isTrustedSender(frame('file:///tmp/other.html') as never, isApp)).toBe(false);
    expect(isTrustedSender(undefined, isApp)).toBe(false);
  });
});
