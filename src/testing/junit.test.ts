import { describe, expect, it } from 'vitest';
import { junitXml } from './junit.ts';

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A strict, small XML 1.0 reader for the test: one root, balanced tags, quoted attributes without `<` or a raw `&`,
 * only the five predefined entities and character references, no characters XML forbids. Throws on anything else.
 */
function parseXml(xml: string): XmlElement {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(xml)) throw new Error('a character XML 1.0 forbids');
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (!decl) throw new Error('no XML declaration');
  i = decl[0].length;
  const decode = (s: string, where: string) => {
    if (/&(?!(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/.test(s)) throw new Error(`raw & in ${where}`);
    return s.replace(/&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
      e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
    );
  };
  const element = (): XmlElement => {
    const open = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>/.exec(xml.slice(i));
    if (!open) throw new Error(`expected a start tag at ${i}: ${JSON.stringify(xml.slice(i, i + 30))}`);
    i += open[0].length;
    const attributes: Record<string, string> = {};
    for (const [, k, v] of open[2]!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
      if (k! in attributes) throw new Error(`duplicate attribute ${k}`);
      attributes[k!] = decode(v!, `attribute ${k}`);
    }
    const el: XmlElement = { name: open[1]!, attributes, children: [], text: '' };
    if (open[3]) return el;
    for (;;) {
      const textEnd = xml.indexOf('<', i);
      if (textEnd < 0) throw new Error(`unclosed <${el.name}>`);
      el.text += decode(xml.slice(i, textEnd), `<${el.name}>`);
      i = textEnd;
      if (xml.startsWith(`</${el.name}>`, i)) {
        i += el.name.length + 3;
        return el;
      }
      if (xml.startsWith('</', i)) throw new Error(`mismatched end tag at ${i} inside <${el.name}>`);
      el.children.push(element());
    }
  };
  const root = element();
  if (xml.slice(i).trim() !== '') throw new Error('content after the root element');
  return root;
}

describe('junitXml', () => {
  const xml = junitXml([
    {
      name: 'monitoring/tests/training.yaml',
      cases: [
        { name: 'GPU memory goes critical', classname: 'monitoring/tests/training.yaml', file: 'monitoring/tests/training.yaml:4' },
        {
          name: 'loss <NaN> & "friends"',
          classname: 'monitoring/tests/training.yaml',
          failure: { message: 'GpuMemoryHigh level critical did not fire at 6m\nsecond line', details: 'expected at 6m:\n  GpuMemoryHigh critical {instance="gpu-1"}\ngot:\n  no GpuMemoryHigh\n]]> \u0001 \ud800' },
        },
      ],
    },
    { name: 'coverage', cases: [{ name: 'NodeDown critical', classname: 'coverage', skipped: 'untested: absent() <is> hard' }] },
  ]);

  it('is well-formed XML whose counts agree with its cases', () => {
    const root = parseXml(xml);
    expect(root.name).toBe('testsuites');
    expect(root.attributes).toMatchObject({ tests: '3', failures: '1', errors: '0', skipped: '1' });
    expect(root.children.map((s) => [s.name, s.attributes.name, s.attributes.tests, s.attributes.failures, s.attributes.skipped])).toEqual([
      ['testsuite', 'monitoring/tests/training.yaml', '2', '1', '0'],
      ['testsuite', 'coverage', '1', '0', '1'],
    ]);
  });

  it('keeps names, messages (line breaks included) and diffs intact through escaping, and drops what XML cannot carry', () => {
    const root = parseXml(xml);
    const [passed, failed] = root.children[0]!.children;
    expect(passed!.attributes).toEqual({ name: 'GPU memory goes critical', classname: 'monitoring/tests/training.yaml', file: 'monitoring/tests/training.yaml:4' });
    expect(passed!.children).toEqual([]);
    expect(failed!.attributes.name).toBe('loss <NaN> & "friends"');
    const failure = failed!.children[0]!;
    expect(failure.name).toBe('failure');
    expect(failure.attributes.message).toBe('GpuMemoryHigh level critical did not fire at 6m\nsecond line');
    expect(failure.text).toBe('expected at 6m:\n  GpuMemoryHigh critical {instance="gpu-1"}\ngot:\n  no GpuMemoryHigh\n]]> \ufffd \ufffd');
    const skipped = root.children[1]!.children[0]!.children[0]!;
    expect(skipped).toMatchObject({ name: 'skipped', attributes: { message: 'untested: absent() <is> hard' } });
  });

  it('the strict reader used here rejects malformed XML (so the tests above can fail)', () => {
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a><b></a>')).toThrow();
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="1 & 2"/>')).toThrow();
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a>\u0001</a>')).toThrow();
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a></a><b/>')).toThrow();
  });

  it('an empty run is still a valid report', () => {
    expect(parseXml(junitXml([])).attributes).toMatchObject({ tests: '0', failures: '0' });
  });
});
