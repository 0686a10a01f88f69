// The preload: exposes one function per contract channel and one subscriber per event, nothing else.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { LumenBridge } from '../shared/contract/client.js';
import { eventChannels, requestChannels } from '../shared/contract/names.js';

function buildBridge(): LumenBridge {
  const channels = Object.fromEntries(
    requestChannels.map((channel) => [channel, (request: unknown) => ipcRenderer.invoke(channel, request)]),
  ) as LumenBridge['channels'];
  const events = Object.fromEntries(
    eventChannels.map((event) => [
      event,
      (listener: (payload: unknown) => void) => {
        // The renderer never sees the IpcRendererEvent (it carries `sender`, i.e. ipcRenderer).
        const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
        ipcRenderer.on(event, handler);
        return () => {
          ipcRenderer.removeListener(event, handler);
        };
      },
    ]),
  ) as LumenBridge['events'];
  return Object.freeze({ channels: Object.freeze(channels), events: Object.freeze(events) });
}

contextBridge.exposeInMainWorld('lumen', buildBridge());
