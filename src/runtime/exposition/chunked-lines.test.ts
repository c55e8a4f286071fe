import { describe, expect, it } from 'vitest';
import { ChunkedLines, type LineSource } from './chunked-lines.ts';

/** Lines given as texts: undefined for a line unchanged since the previous update. */
class Texts implements LineSource {
  private readonly texts: (string | undefined)[] = [];

  constructor(private readonly changedLine: (i: number) => string | undefined) {}

  changed(i: number): boolean {
    this.texts[i] = this.changedLine(i);
    return this.texts[i] !== undefined;
  }
  maxBytes(i: number): number {
    return Buffer.byteLength(this.texts[i]!) + 1;
  }
  write(i: number, into: Buffer, offset: number, _previous?: Buffer | null, _from?: number, _to?: number): number {
    const end = offset + into.write(this.texts[i]!, offset, 'utf8');
    into[end] = 0x0a;
    return end + 1;
  }
}

const bytesOf = (lines: ChunkedLines) => {
  const text = Buffer.concat(lines.chunks).toString('utf8');
  expect(Buffer.concat(lines.runs).toString('utf8')).toBe(text);
  return text;
};
const expected = (texts: readonly string[]) => texts.map((text) => `${text}\n`).join('');

/** Brings `lines` to `next`, giving the callback's answer only for positions whose text differs from `previous`. */
function update(lines: ChunkedLines, previous: readonly string[], next: readonly string[]) {
  const asked: number[] = [];
  const changed = lines.update(next.length, new Texts((i) => {
    asked.push(i);
    return i < previous.length && previous[i] === next[i] ? undefined : next[i];
  }));
  return { changed, asked };
}

const start = (linesPerChunk: number, texts: readonly string[]) => {
  const lines = new ChunkedLines(linesPerChunk);
  update(lines, [], texts);
  return lines;
};

const ten = Array.from({ length: 10 }, (_, i) => `line ${i}`);

describe('ChunkedLines keeps lines as UTF-8 chunks of a few lines each', () => {
  it.each([
    { name: 'nothing changed', next: ten },
    { name: 'the first line of a chunk changed', next: ten.map((t, i) => (i === 4 ? 'longer line four ✓' : t)) },
    { name: 'the middle line of a chunk changed', next: ten.map((t, i) => (i === 5 ? 'ü' : t)) },
    { name: 'the last line of the last chunk changed', next: ten.map((t, i) => (i === 9 ? '' : t)) },
    { name: 'every line changed', next: ten.map((t) => `${t}!`) },
    { name: 'a line added mid-chunk', next: [...ten, 'ten'] },
    { name: 'lines added up to a chunk boundary', next: [...ten, 'ten', 'eleven'] },
    { name: 'lines added past several chunks', next: [...ten, ...ten, ...ten] },
    { name: 'lines removed mid-chunk (the rest shifts)', next: [...ten.slice(0, 5), ...ten.slice(6)] },
    { name: 'the tail removed mid-chunk', next: ten.slice(0, 7) },
    { name: 'the tail removed at a chunk boundary', next: ten.slice(0, 8) },
    { name: 'one line left', next: ten.slice(0, 1) },
    { name: 'every line removed', next: [] },
    { name: 'multi-byte characters spanning the chunk', next: ten.map((t) => `ünïcødé ${t} ✓ 𝄞`) },
  ])('$name: the chunks hold the lines, each ended by a newline', ({ next }) => {
    const lines = start(4, ten);
    const { changed } = update(lines, ten, next);
    expect(bytesOf(lines)).toBe(expected(next));
    expect(lines.byteLength).toBe(Buffer.byteLength(expected(next)));
    expect(lines.chunks.length).toBe(Math.ceil(next.length / 4));
    expect(changed).toBe(next.length !== ten.length || next.some((t, i) => t !== ten[i]));
  });

  it('asks for every position once, in order', () => {
    const lines = start(3, ten);
    expect(update(lines, ten, ten.slice(0, 8)).asked).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('rebuilds only the chunks with a changed line and reuses the others as they are', () => {
    const lines = start(4, ten);
    const before = lines.chunks;
    update(lines, ten, ten.map((t, i) => (i === 5 ? 'five again' : t)));
    expect(lines.chunks[0]).toBe(before[0]);
    expect(lines.chunks[1]).not.toBe(before[1]);
    expect(lines.chunks[2]).toBe(before[2]);
  });

  it('gives chunks that lie next to each other in memory as one run: all of them after the first update', () => {
    const lines = start(2, ten);
    expect(lines.chunks.length).toBe(5);
    expect(lines.runs.length).toBe(1);
    update(lines, ten, ten.map((t, i) => (i === 4 ? 'four' : t)));
    expect(lines.runs.map((run) => run.toString())).toEqual([expected(ten.slice(0, 4)), 'four\nline 5\n', expected(ten.slice(6))]);
  });

  it('never writes into chunks it handed out: a response still being sent keeps its bytes (copy on write)', () => {
    const lines = start(4, ten);
    const handedOut = [...lines.chunks, ...lines.runs];
    const copies = handedOut.map((chunk) => Buffer.from(chunk));
    update(lines, ten, ten.map((t) => t.replace('line', 'LINE')));
    update(lines, ten, ten.slice(0, 3));
    expect(handedOut.map((chunk, i) => Buffer.from(chunk).equals(copies[i]))).toEqual(handedOut.map(() => true));
  });

  it('over a seeded random sequence of edits, the chunks always hold exactly the lines', () => {
    let seed = 7;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (const perChunk of [1, 2, 5, 16]) {
      let texts: string[] = [];
      const lines = new ChunkedLines(perChunk);
      for (let round = 0; round < 200; round++) {
        const edited = [...texts];
        const edits = Math.floor(next() * 4);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(next() * (edited.length + 1));
          const op = next();
          if (op < 0.4) edited.splice(at, 0, `added ${round}.${e} ${'é'.repeat(Math.floor(next() * 5))}`);
          else if (op < 0.6) edited.splice(at, 1);
          else if (at < edited.length) edited[at] = `${edited[at]}+`;
        }
        update(lines, texts, edited);
        texts = edited;
        expect(bytesOf(lines)).toBe(expected(texts));
        expect(lines.byteLength).toBe(Buffer.byteLength(expected(texts)));
        expect(lines.retainedBytes).toBeLessThanOrEqual(2 * lines.byteLength + 64 * 1024);
      }
    }
  });

  it('cuts the chunks rebuilt together from one slab, and packs them into a new one once garbage outweighs them', () => {
    const long = Array.from({ length: 400 }, (_, i) => `${'x'.repeat(500)} ${i}`);
    const lines = start(4, long);
    expect(new Set(lines.chunks.map((chunk) => chunk.buffer)).size).toBe(1);
    let texts = long;
    for (let round = 0; round < 40; round++) {
      // One line in every fifth chunk: each update leaves most of the previous slabs alive.
      const edited = texts.map((t, i) => (i % 20 === round % 20 ? `${t}.` : t));
      update(lines, texts, edited);
      texts = edited;
      expect(lines.retainedBytes).toBeLessThanOrEqual(2 * lines.byteLength + 64 * 1024);
      const slabs = new Set(lines.chunks.map((chunk) => chunk.buffer));
      const held = [...slabs].reduce((total, slab) => total + slab.byteLength, 0);
      expect(held).toBe(lines.retainedBytes);
    }
    expect(bytesOf(lines)).toBe(expected(texts));
  });

  it('hands a changed line its previous bytes (none to a new line), wherever its chunk was', () => {
    const lines = start(3, ten);
    update(lines, ten, ten.map((t, i) => (i % 4 === 0 ? `${t}!` : t)));
    const previous: (string | null)[] = [];
    const source = new Texts((i) => (i % 2 === 0 || i >= 10 ? `new ${i}` : undefined));
    const write = source.write.bind(source);
    source.write = (i: number, into: Buffer, offset: number, before?: Buffer | null, from?: number, to?: number) => {
      previous[i] = before ? before.toString('utf8', from, to) : null;
      return write(i, into, offset, before, from, to);
    };
    lines.update(12, source);
    expect(previous).toEqual(['line 0!\n', undefined, 'line 2\n', undefined, 'line 4!\n', undefined, 'line 6\n', undefined,
      'line 8!\n', undefined, null, null]);
    expect(bytesOf(lines)).toBe(expected(ten.map((t, i) => (i % 2 === 0 ? `new ${i}` : t)).concat(['new 10', 'new 11'])));
  });

  it('refuses a position it has no text for (a new line must be given)', () => {
    const lines = start(4, ten);
    expect(() => lines.update(12, new Texts((i) => (i === 10 ? 'x' : undefined)))).toThrow('line 11 of 12 is new but has no text');
  });

  it('refuses a source that writes more than it announced (a chunk would be cut short)', () => {
    const lines = new ChunkedLines(2);
    const short = new Texts(() => 'four');
    short.maxBytes = () => 3;
    expect(() => lines.update(2, short)).toThrow('more than the 6 announced');
  });
});
