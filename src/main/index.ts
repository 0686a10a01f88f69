// Electron main entry: the app lifecycle, the hardened window, and the IPC host over the services.
// The only module (with host/ipc.ts) that uses the electron module; the rest is plain Node.
import { BrowserWindow, app, ipcMain, session } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerHandlers } from './host/handlers.js';
import { registerIpc } from './host/ipc.js';
import { appUrlMatcher, hardenContents, installSessionPolicy, mainWindowOptions, type WindowConfig } from './host/window.js';
import { logger } from './log.js';
import { createServices } from './services.js';

const log = logger('desktop');

/** Paths of the built preload and renderer, relative to the bundled main (out/main). */
export function windowConfig(mainDir: string, devServerUrl: string | undefined): WindowConfig {
  return {
    preload: path.join(mainDir, '../preload/index.cjs'),
    rendererFile: path.join(mainDir, '../renderer/index.html'),
    devServerUrl,
  };
}

function createMainWindow(config: WindowConfig, isAppUrl: (url: string) => boolean): BrowserWindow {
  installSessionPolicy(session.defaultSession, config);
  const window = new BrowserWindow(mainWindowOptions(config));
  hardenContents(window.webContents, isAppUrl);
  window.once('ready-to-show', () => window.show());
  if (config.devServerUrl) void window.loadURL(config.devServerUrl);
  else void window.loadFile(config.rendererFile);
  return window;
}

function startDesktopApp(): void {
  // The dev server is honoured only in unpackaged builds: a packaged app never loads remote code.
  const config = windowConfig(path.dirname(fileURLToPath(import.meta.url)), app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL);
  const isAppUrl = appUrlMatcher(config);
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, isAppUrl));
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }

  let window: BrowserWindow | undefined;
  void app.whenReady().then(() => {
    const services = createServices({ mode: 'desktop' });
    const dispatcher = registerHandlers(services);
    const ipc = registerIpc(ipcMain, dispatcher, isAppUrl);
    const open = () => {
      window = createMainWindow(config, isAppUrl);
      ipc.attach(window.webContents);
      window.on('closed', () => (window = undefined));
    };
    open();
    app.on('second-instance', () => {
      if (window?.isMinimized()) window.restore();
      window?.focus();
    });
    app.on('activate', () => {
      if (!window) open();
    });
    app.on('will-quit', () => {
      ipc.dispose();
      dispatcher.dispose();
      services.dispose();
    });
    log.info(`Lumen ${services.app.version} started`);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}

startDesktopApp();
