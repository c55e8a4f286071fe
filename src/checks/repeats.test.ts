// The one reporter of repeated names (env/duplicate, silence/duplicate, slo/duplicate, rule/duplicate): three of one
// name are two reports, each at its repeat, pointing back at the first, with the check's hint.
import { describe, expect, it } from 'vitest';
import { environment, projectFiles, slo, slos, sourcesOf, yamlOf, type ProjectFiles } from '../../test/factories/index.ts';
import { compile } from '../compile.ts';
import { lineColAt } from '../diagnostics.ts';
import { loadYamlSources } from '../load/index.ts';

const silence = (comment: string) => ({ name: 'gpu-3-maintenance', matchers: ['alertname="TargetDown"'], startsAt: '2099-01-01T01:00:00Z', duration: '4h', createdBy: 'alice@example.com', comment });
const silences = (...comments: string[]) => yamlOf({ apiVersion: 'vigil/v1', kind: 'Silences', silences: comments.map(silence) });

const CASES: [string, string, ProjectFiles, RegExp][] = [
  [
    'env/duplicate',
    'a second Environment named "prod"',
    projectFiles({ 'env-a.yaml': environment(), 'env-b.yaml': environment(), 'env-c.yaml': environment() }),
    /^rename one; the first is in env-a\.yaml$/,
  ],
  ['silence/duplicate', 'a second silence named "gpu-3-maintenance"', projectFiles({ 'silences.yaml': silences('OPS-1', 'OPS-2', 'OPS-3') }), /the first is in silences\.yaml$/],
  ['slo/duplicate', 'SLO app-availability is defined twice', projectFiles({ 'slos.yaml': slos({ slos: [slo(), slo(), slo()] }) }), /^rename one: both would record the same series/],
  [
    'rule/duplicate',
    'duplicate receiver "team"',
    projectFiles({ 'receivers.yaml': yamlOf({ apiVersion: 'vigil/v1', kind: 'Receivers', receivers: ['team', 'team', 'team', 'oncall'].map((name) => ({ name, email: { to: ['a@example.com'] } })) }) }),
    /^receiver names are unique/,
  ],
];

describe('repeated names', () => {
  it.each(CASES)('%s: every repeat after the first, at its name, the first related', (code, message, files) => {
    const result = compile(loadYamlSources(sourcesOf(files)));
    const found = result.diagnostics.filter((d) => d.code === code);
    expect(found.map((d) => d.message)).toEqual([message, message]);
    const at = (span: { file: string; start: number }) => `${span.file}:${lineColAt(files[span.file]!, span.start).line}:${lineColAt(files[span.file]!, span.start).col}`;
    const firsts = found.map((d) => at(d.related![0]!.span));
    expect(new Set(firsts).size).toBe(1);
    const places = [firsts[0]!, ...found.map((d) => at(d.span!))];
    expect(new Set(places).size).toBe(3);
    // Each place is the name's value in its file.
    for (const place of places) {
      const [file, line, col] = place.split(':');
      const text = files[file!]!.split('\n')[Number(line) - 1]!;
      expect(text.slice(Number(col) - 1)).toMatch(/^(prod|gpu-3-maintenance|app-availability|team)\b|^name: /);
    }
  });

  it.each(CASES)('%s: the hint says what to do', (code, _message, files, hint) => {
    const found = compile(loadYamlSources(sourcesOf(files))).diagnostics.filter((d) => d.code === code);
    for (const d of found) expect(d.hint).toMatch(hint);
  });
});
