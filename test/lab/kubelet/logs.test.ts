import { describe, expect, it } from 'vitest';
import { tailLines } from './logs';

describe('tailLines', () => {
  it('keeps the last n lines and the trailing newline', () => {
    expect(tailLines('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(tailLines('a\nb\nc', 1)).toBe('c');
    expect(tailLines('a\nb\n', 5)).toBe('a\nb\n');
  });

  it('returns nothing for 0 lines or an empty log', () => {
    expect(tailLines('a\nb\n', 0)).toBe('');
    expect(tailLines('', 3)).toBe('');
  });
});
