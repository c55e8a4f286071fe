import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { cutText, markdownLink, markdownText, markdownUrl, plainLine } from './escape.ts';

describe('plainLine', () => {
  it('turns line breaks and control characters into spaces and disarms mentions', () => {
    expect(plainLine('a\r\nb\nc\u0000d\u202ee\u2028f')).toBe('a b c d e f');
    expect(plainLine('@13800000000 @all @张三 mail@host a @ b')).toBe('＠13800000000 ＠all ＠张三 mail＠host a @ b');
  });
});

describe('markdownText', () => {
  const md = new MarkdownIt();
  it.each(['[x](http://evil)', '![i](http://e/p.png)', '# h', '<b>x</b>', '`c`', '*e* _e_', '1. one', '- item', '\\*', '&amp;', 'www.evil.com'])(
    'renders %s literally',
    (value) => {
      const html = md.renderInline(markdownText(value));
      const shown = html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
      expect(shown).toBe(value);
    },
  );
});

describe('markdownUrl and markdownLink', () => {
  it('takes http(s) URLs only, with the characters that could end a link encoded', () => {
    expect(markdownUrl(' https://wiki/run book (gpu) ')).toBe('https://wiki/run%20book%20%28gpu%29');
    expect(markdownUrl('http://h/a?b=<c>|`d`')).toBe('http://h/a?b=%3Cc%3E%7C%60d%60');
    expect(markdownUrl('javascript:alert(1)')).toBeUndefined();
    expect(markdownUrl('/relative/path')).toBeUndefined();
    expect(markdownUrl('data:text/html,x')).toBeUndefined();
  });

  it('escapes the link text too', () => {
    expect(markdownLink('Run*book', 'https://wiki/x')).toBe('[Run\\*book](https://wiki/x)');
    expect(markdownLink('Runbook', 'ftp://x')).toBeUndefined();
  });
});

describe('cutText', () => {
  it('keeps whole code points and marks the cut', () => {
    expect(cutText('温度😀过高', 2)).toBe('温度…');
    expect(cutText('温度😀过高', 3)).toBe('温度😀…');
    expect(cutText('abc', 3)).toBe('abc');
  });
});
