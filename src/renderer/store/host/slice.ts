// The link to main (IPC or WebSocket) and what main says about itself.
import type { AppInfo } from '../../../shared/contract/index.js';
import type { LinkStatus } from '../../client/ws.js';
import type { SliceCreator } from '../types.js';

export interface HostSlice {
  host: {
    link: LinkStatus;
    app: AppInfo | null;
    /** Browser mode opened without the URL's token. */
    missingToken: boolean;
  };
  setLink(link: LinkStatus): void;
  setApp(app: AppInfo): void;
  setMissingToken(missing: boolean): void;
}

export const createHostSlice: SliceCreator<HostSlice> = (set) => ({
  host: { link: { state: 'connecting', failures: 0, retryAt: null }, app: null, missingToken: false },
  setLink: (link) => set((s) => ({ host: { ...s.host, link } })),
  setApp: (app) => set((s) => ({ host: { ...s.host, app } })),
  setMissingToken: (missingToken) => set((s) => ({ host: { ...s.host, missingToken } })),
});
