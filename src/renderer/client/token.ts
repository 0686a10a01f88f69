// Finds browser mode's access token in the page URL, and the URL to show once it is removed.

export interface TokenLookup {
  token: string | null;
  /** The hash without the token (so it neither shows in the address bar nor in screenshots). */
  cleanHash: string;
  /** The search string without the token. */
  cleanSearch: string;
}

/**
 * Accepts `#token=T` (what `npm run serve` prints), `?token=T`, and a route carrying
 * it (`#/connect?context=x&token=T`).
 */
export function extractToken(search: string, hash: string): TokenLookup {
  const searchParams = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  let token = searchParams.get('token');
  searchParams.delete('token');
  const cleanSearch = searchParams.toString() ? `?${searchParams}` : '';

  let raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (raw.startsWith('/')) {
    const [route = '', query = ''] = raw.split('?', 2);
    const params = new URLSearchParams(query);
    token = params.get('token') ?? token;
    params.delete('token');
    raw = params.toString() ? `${route}?${params}` : route;
  } else if (raw.length > 0) {
    const params = new URLSearchParams(raw);
    token = params.get('token') ?? token;
    raw = '';
  }
  return { token: token && token.length > 0 ? token : null, cleanHash: raw ? `#${raw}` : '', cleanSearch };
}
