// The preload's bridge, present only in the Electron window.
import type { LumenBridge } from '../shared/contract/client.js';

declare global {
  interface Window {
    lumen?: LumenBridge;
  }
}

export {};
