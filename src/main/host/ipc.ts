// The contract over Electron IPC: one ipcMain handler per channel, sender checked, events per window.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { requestChannels } from '../../shared/contract/index.js';
import { logger } from '../log.js';
import type { Dispatcher, Peer } from './dispatch.js';
import { isTrustedSender } from './window.js';

const log = logger('host:ipc');

export interface IpcHost {
  /** Gives a window a peer so events reach it; re-made when the page reloads. */
  attach(contents: WebContents): void;
  dispose(): void;
}

export function registerIpc(ipcMain: IpcMain, dispatcher: Dispatcher, isAppUrl: (url: string) => boolean): IpcHost {
  const peers = new Map<number, Peer>();

  const peerOf = (contents: WebContents): Peer => {
    let peer = peers.get(contents.id);
    if (!peer) {
      peer = dispatcher.addPeer('ipc', (event, payload) => {
        if (!contents.isDestroyed()) contents.send(event, payload);
      });
      peers.set(contents.id, peer);
    }
    return peer;
  };
  const drop = (contents: WebContents) => {
    const peer = peers.get(contents.id);
    if (peer) dispatcher.removePeer(peer);
    peers.delete(contents.id);
  };

  for (const channel of requestChannels) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, request: unknown) => {
      if (!isTrustedSender(event.senderFrame, isAppUrl)) {
        log.warn(`refused ${channel} from ${event.senderFrame?.url ?? 'a destroyed frame'}`);
        return { ok: false, error: { code: 'forbidden', message: `${channel}: the calling page is not the Lumen console` } };
      }
      return dispatcher.dispatch(channel, request, peerOf(event.sender));
    });
  }

  return {
    attach(contents) {
      peerOf(contents);
      // A reload starts a new renderer with no subscriptions: forget the old peer's.
      contents.on('did-start-navigation', (details) => {
        if (details.isMainFrame && !details.isSameDocument) {
          drop(contents);
          peerOf(contents);
        }
      });
      contents.once('destroyed', () => drop(contents));
    },
    dispose() {
      for (const channel of requestChannels) ipcMain.removeHandler(channel);
      for (const peer of peers.values()) dispatcher.removePeer(peer);
      peers.clear();
    },
  };
}
