// Tests of finding (and removing) the browser-mode token in the URL.
import { describe, expect, it } from 'vitest';
import { extractToken } from './token.js';

describe('extractToken', () => {
  it('reads the #token= form that serve prints and leaves no hash behind', () => {
    expect(extractToken('', '#token=abc_DEF-1')).toEqual({ token: 'abc_DEF-1', cleanHash: '', cleanSearch: '' });
  });

  it('reads ?token= and keeps the other parameters', () => {
    expect(extractToken('?token=t1&x=1', '#/connect')).toEqual({ token: 't1', cleanHash: '#/connect', cleanSearch: '?x=1' });
  });

  it('reads a token inside a route and keeps the route', () => {
    expect(extractToken('', '#/connect?context=lab&token=t2')).toEqual({ token: 't2', cleanHash: '#/connect?context=lab', cleanSearch: '' });
  });

  it('reports no token when there is none', () => {
    expect(extractToken('', '#/connect').token).toBeNull();
    expect(extractToken('', '#token=').token).toBeNull();
  });
});
