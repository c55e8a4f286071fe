// The check context answers a text without "{{" and "}}" without analysing it (a runbook link): the answer must be
// what the analysis gives, and a text with either still gets its analysis.
import { describe, expect, it } from 'vitest';
import { createCheckContext } from '../compile.ts';
import { emptyModel } from '../model/build.ts';
import { analyzeGoTemplate } from '../templates/go-template.ts';

const PIECES = ['{', '}', '{ {', '} }', '$labels.gpu', '.Labels.x', '$value', ' end ', 'if', '"', '`', 'https://runbooks.example.com/a?b=1#c', '{{', '}}', '{{ $labels.gpu }}', '{{ end }}', '{{/* c */}}', '-', ' ', '告警'];

function randomTexts(count: number, seed: number): string[] {
  let state = seed;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(rand() * 6) }, () => PIECES[Math.floor(rand() * PIECES.length)]).join(''));
}

describe('ctx.templates', () => {
  it('gives the analysis of every text, texts without "{{" and "}}" included (2,000 random texts)', () => {
    const { ctx } = createCheckContext(emptyModel(), []);
    const texts = randomTexts(2000, 7);
    let plain = 0;
    for (const text of texts) {
      if (!text.includes('{{') && !text.includes('}}')) plain++;
      expect(ctx.templates(text), text).toEqual(analyzeGoTemplate(text));
    }
    // Both kinds were tried.
    expect(plain).toBeGreaterThan(200);
    expect(texts.length - plain).toBeGreaterThan(200);
  });
});
