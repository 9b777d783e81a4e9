import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import { ENGLISH_STOP_WORDS, tokenize } from './tokenizer.js';

describe('tokenize (sklearn word analyzer)', () => {
  it.each([
    ['Cannot connect to the VPN!', ['cannot', 'connect', 'to', 'the', 'vpn']],
    ['a b c de', ['de']],
    ['naïve café – Zugang_verweigert', ['naïve', 'café', 'zugang_verweigert']],
    ['room 12, floor 3', ['room', '12', 'floor']],
    ['日本 語', ['日本']],
    ['ÉCRAN noir', ['écran', 'noir']],
    ['😀😀 ok', ['ok']],
  ])('tokenize(%j)', (text, expected) => {
    expect(tokenize(text)).toEqual(expected);
  });

  it('removes stop words before building n-grams', () => {
    expect(tokenize('the printer is jammed again', { stopWords: 'english', ngramRange: [1, 2] })).toEqual([
      'printer',
      'jammed',
      'printer jammed',
    ]);
    expect(tokenize('Reset My Password', { lowercase: false, ngramRange: [2, 3] })).toEqual([
      'Reset My',
      'My Password',
      'Reset My Password',
    ]);
    expect(tokenize('vpn down', { stopWords: ['down'] })).toEqual(['vpn']);
    expect(ENGLISH_STOP_WORDS.size).toBe(318);
  });

  it('refuses a bad n-gram range', () => {
    try {
      tokenize('x', { ngramRange: [2, 1] });
      expect.unreachable();
    } catch (e) {
      expect(isMlopsError(e, 'INVALID_INPUT')).toBe(true);
    }
  });
});
