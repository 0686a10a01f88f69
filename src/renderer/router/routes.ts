// Hash routes (#/connect, #/connect?context=...): parse and format, so any state can be deep-linked.

export const viewIds = ['connect', 'services', 'identities', 'install', 'status'] as const;
export type ViewId = (typeof viewIds)[number];

export interface Route {
  view: ViewId;
  /** The context selected in the Connect view. */
  context: string | null;
}

export const defaultRoute: Route = { view: 'connect', context: null };

/** Unknown views fall back to Connect; the token parameter of browser mode is not part of a route. */
export function parseRoute(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!raw.startsWith('/')) return defaultRoute;
  const [pathPart = '', query = ''] = raw.split('?', 2);
  const view = pathPart.replace(/^\/+|\/+$/g, '');
  const params = new URLSearchParams(query);
  const context = params.get('context');
  return {
    view: (viewIds as readonly string[]).includes(view) ? (view as ViewId) : 'connect',
    context: context && context.length > 0 ? context : null,
  };
}

export function formatRoute(route: Route): string {
  const params = new URLSearchParams();
  if (route.context) params.set('context', route.context);
  const query = params.toString();
  return `#/${route.view}${query ? `?${query}` : ''}`;
}

export function sameRoute(a: Route, b: Route): boolean {
  return a.view === b.view && a.context === b.context;
}
