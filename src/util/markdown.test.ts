import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/seeded-random.ts';
import { markdownEscapes, mdAnchor, mdFence, mdFenceText, mdText, oneLine, parsedHttpUrl, plainHttpUrl } from './markdown.ts';

describe('oneLine', () => {
  // The two replacements it makes, without its shortcut for text that needs neither.
  const reference = (s: string) =>
    s
      .replace(/\r\n|[\n\r\u000b\u000c\u0085\u2028\u2029]/g, ' ')
      .replace(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

  it('gives what the replacements give, for every UTF-16 code unit alone and between letters', () => {
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      expect(oneLine(c)).toBe(reference(c));
      expect(oneLine(`a${c}b`)).toBe(reference(`a${c}b`));
    }
    expect(oneLine('a\r\nb\tc\u202ed')).toBe('a b\tc\\u202ed');
  });
});

describe('mdText', () => {
  // Its replacements, every one tried: without its shortcut for text that needs none.
  const reference = (s: string) => markdownEscapes(oneLine(s).trim());

  it('gives what the replacements give, for every printable ASCII character in each position and random text', () => {
    for (let code = 0x20; code < 0x7f; code++) {
      const c = String.fromCharCode(code);
      for (const s of [c, `${c}x`, `x${c}`, ` ${c}.`, `1${c}`, `w${c}w.`]) expect(mdText(s), JSON.stringify(s)).toBe(reference(s));
    }
    const alphabet = ['a', 'w', 'W', '.', ':', '/', ' ', '1', '-', '+', '=', ')', '*', '|', '\n', '\t', 'é', '$'];
    const rand = seededRandom(5);
    for (let i = 0; i < 20000; i++) {
      const s = Array.from({ length: Math.floor(rand() * 10) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      expect(mdText(s), JSON.stringify(s)).toBe(reference(s));
    }
    expect(mdText('Www.x')).toBe('Www\\.x');
    expect(mdText('  12) up ')).toBe('12\\) up');
  });
});

describe('safeHttpUrl without the parser', () => {
  it('recognises only URLs the WHATWG parser writes as they are, for 50,000 random URLs', () => {
    const host = ['a', 'b', 'x', 'n', '-', '.', '1', '0', 'xn--', 'X', '_', '..'];
    const path = ['/', 'a', 'B', '.', '..', '-', '_', '~', '%2e', '?', '#', ' ', ':', '\\', '9'];
    const rand = seededRandom(9);
    const some = (alphabet: string[], max: number) => Array.from({ length: Math.floor(rand() * max) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
    let recognised = 0;
    for (let i = 0; i < 50000; i++) {
      const url = `${rand() < 0.5 ? 'http' : 'https'}://${some(host, 8)}${rand() < 0.8 ? `/${some(path, 8)}` : ''}`;
      const plain = plainHttpUrl(url);
      if (plain === undefined) continue;
      recognised++;
      expect(plain, url).toBe(parsedHttpUrl(url));
    }
    expect(recognised).toBeGreaterThan(1000);
    expect(plainHttpUrl('https://runbooks.example.com/queue-deep')).toBe('https://runbooks.example.com/queue-deep');
    expect(plainHttpUrl('http://grafana')).toBe('http://grafana/');
    for (const url of ['http://1.2.3.4/x', 'http://a.0x1f/', 'http://xn--a.com/', 'http://a.com/./x', 'http://A.com/', 'http://a.com:80/', 'http://a.com/a%20b', 'http://a.com/?q']) expect(plainHttpUrl(url)).toBeUndefined();
  });
});

describe('mdAnchor', () => {
  const reference = (s: string) =>
    oneLine(s)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');

  it('gives what its replacements give, for random names', () => {
    const alphabet = ['a', 'Z', '0', '_', '-', ' ', '.', 'É', '告', '\t', '(', 'İ'];
    const rand = seededRandom(13);
    for (let i = 0; i < 20000; i++) {
      const s = Array.from({ length: Math.floor(rand() * 8) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      expect(mdAnchor(s), JSON.stringify(s)).toBe(reference(s));
    }
  });
});

describe('mdFence', () => {
  const reference = (content: string, info = '') => {
    const body = content.replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n').replace(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
    const fence = '`'.repeat(Math.max(3, longest + 1));
    return [`${fence}${info}`, ...body.split('\n'), fence];
  };

  it('gives what its replacements give, for every UTF-16 code unit and random text', () => {
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      expect(mdFence(`a${c}b`, 'promql')).toEqual(reference(`a${c}b`, 'promql'));
    }
    const alphabet = ['a', '`', '\n', '\r', ' ', '\u2028', '\u0001', '{'];
    const rand = seededRandom(21);
    for (let i = 0; i < 20000; i++) {
      const s = Array.from({ length: Math.floor(rand() * 10) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      expect(mdFence(s), JSON.stringify(s)).toEqual(reference(s));
    }
  });

  it('as text: its lines joined by line breaks, for every UTF-16 code unit and random text', () => {
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      expect(mdFenceText(`a${c}\nb`, 'promql')).toBe(reference(`a${c}\nb`, 'promql').join('\n'));
    }
    const alphabet = ['a', '`', '\n', '\r', ' ', '\u2028', '\u0001', '{'];
    const rand = seededRandom(22);
    for (let i = 0; i < 20000; i++) {
      const s = Array.from({ length: Math.floor(rand() * 10) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      expect(mdFenceText(s), JSON.stringify(s)).toBe(reference(s).join('\n'));
    }
  });
});
