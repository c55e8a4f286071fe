import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasErrors, lineColAt } from '../../src/diagnostics.ts';
import { compileProject } from '../../src/compile-project.ts';
import { loadYamlSources, type SourceFile } from '../../src/load/index.ts';

/** Check configuration (issue #9 §3): the project's policies.checks, and disable comments next to a definition. */
const BASE = path.join(import.meta.dirname, '../fixtures/base');
const FIXTURES = path.join(import.meta.dirname, '../fixtures/checks');
const base: SourceFile[] = await Promise.all((await readdir(BASE)).sort().map(async (f) => ({ file: f, text: await readFile(path.join(BASE, f), 'utf8') })));
const badMetrics = await readFile(path.join(FIXTURES, 'metric-naming/metrics.yaml'), 'utf8');
const badRecording = await readFile(path.join(FIXTURES, 'metric-naming/recording.yaml'), 'utf8');
const secretReceivers = await readFile(path.join(FIXTURES, 'secret-literal/receivers.yaml'), 'utf8');

function compileWith(files: Record<string, string>) {
  const sources = base.filter((s) => !(s.file in files)).concat(Object.entries(files).map(([file, text]) => ({ file, text })));
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  const result = compileProject(loadYamlSources(sources), { emit: false });
  return result.diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, hint: d.hint, line: d.span ? lineColAt(texts.get(d.span.file) ?? '', d.span.start).line : 0, file: d.span?.file }));
}

const project = (checks: string) => base.find((s) => s.file === 'project.yaml')!.text + `  checks: ${checks}\n`;
// The metric-naming fixture with a comment inserted before line `at` of metrics.yaml (the name is on line 5).
const withComment = (comment: string, at = 5) => {
  const lines = badMetrics.split('\n');
  lines.splice(at - 1, 0, comment);
  return lines.join('\n');
};

describe('policies.checks', () => {
  it.each([
    ["{ 'metric/naming': warning }", 'warning'],
    ["{ 'metric/naming': error }", 'error'],
    ["{ 'metric/naming': off }", undefined],
    ["{ 'alert/name-style': off, 'metric/naming': warning }", 'warning'],
  ] as const)('%s sets the severity of what the check reports', (checks, severity) => {
    const problems = compileWith({ 'project.yaml': project(checks), 'metrics.yaml': badMetrics, 'recording.yaml': badRecording });
    const naming = problems.filter((p) => p.code === 'metric/naming');
    if (severity === undefined) expect(naming).toEqual([]);
    else {
      expect(naming.length).toBeGreaterThan(0);
      expect(naming.every((p) => p.severity === severity)).toBe(true);
    }
    expect(hasErrors(problems as never)).toBe(severity === 'error');
  });

  it.each([
    ["{ 'metric/namin': off }", 'unknown check id "metric/namin"', 'did you mean metric/naming?'],
    ["{ 'alert/namestyle': warning }", 'unknown check id "alert/namestyle"', 'did you mean alert/name-style?'],
    ['{ schema: off }', 'schema is reported while loading or validating', 'fix the definition'],
    ["{ 'yaml/syntax': warning }", 'yaml/syntax is reported while loading or validating', 'fix the definition'],
    ["{ 'load/limit': off }", 'load/limit is reported while loading or validating', 'fix the definition'],
    ["{ 'secret/literal': off }", 'secret/literal cannot be turned off', 'reference the secret'],
    ["{ 'secret/placeholder': warning }", 'secret/placeholder cannot be turned off', 'reference the secret'],
  ])('%s is a located policy/checks error', (checks, message, hint) => {
    const problems = compileWith({ 'project.yaml': project(checks) });
    const found = problems.filter((p) => p.code === 'policy/checks');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', file: 'project.yaml', line: 11 });
    expect(found[0]!.message).toContain(message);
    expect(found[0]!.hint).toContain(hint);
  });

  it('a level other than error, warning or off is a schema error', () => {
    const problems = compileWith({ 'project.yaml': project("{ 'metric/naming': warn }") });
    expect(problems.find((p) => p.code === 'schema')?.message).toContain('is not one of "error", "warning", "off"');
  });

  it('a secret check stays an error whatever the project says', () => {
    const problems = compileWith({ 'project.yaml': project("{ 'secret/literal': off }"), 'receivers.yaml': secretReceivers });
    expect(problems.some((p) => p.code === 'secret/literal' && p.severity === 'error')).toBe(true);
  });

  it('the ids of a check family can be configured one by one (promql/type is reported by promql/syntax)', () => {
    const alerts = base.find((s) => s.file === 'alerts.yaml')!.text.replace('expr: up == 0', 'expr: rate(up) == 0');
    const on = compileWith({ 'alerts.yaml': alerts });
    expect(on.some((p) => p.code === 'promql/type' && p.severity === 'error')).toBe(true);
    const lowered = compileWith({ 'alerts.yaml': alerts, 'project.yaml': project("{ 'promql/type': warning }") });
    expect(lowered.filter((p) => p.code === 'promql/type').map((p) => p.severity)).toEqual(['warning']);
  });
});

describe('vigil-disable-next-line comments', () => {
  const naming = (problems: ReturnType<typeof compileWith>) => problems.filter((p) => p.code === 'metric/naming' && p.file === 'metrics.yaml');

  it.each([
    ['# vigil-disable-next-line metric/naming: upstream name'],
    ['    # vigil-disable-next-line metric/naming: upstream name'],
    ['#vigil-disable-next-line metric/naming: upstream name'],
    ['# vigil-disable-next-line alert/name-style, metric/naming: upstream name (the other id is unused but named with it)'],
    ['# vigil-disable-next-line metric/naming:upstream'],
  ])('%s silences the problem on the next line', (comment) => {
    const problems = compileWith({ 'metrics.yaml': withComment(comment), 'recording.yaml': badRecording });
    expect(naming(problems)).toEqual([]);
    expect(problems.filter((p) => p.code.startsWith('disable/'))).toEqual([]);
  });

  it.each([
    ['CRLF line endings', (t: string) => t.replaceAll('\n', '\r\n')],
    ['a comment after a value is not a disable comment', (t: string) => t.replace('# vigil-disable-next-line metric/naming: upstream name\n', '').replace('  - name: http_requests', '  - name: http_requests # vigil-disable-next-line metric/naming: upstream name')],
  ] as const)('%s', (name, change) => {
    const problems = compileWith({ 'metrics.yaml': change(withComment('# vigil-disable-next-line metric/naming: upstream name')), 'recording.yaml': badRecording });
    expect(naming(problems)).toHaveLength(name.startsWith('CRLF') ? 0 : 1);
    expect(problems.filter((p) => p.code.startsWith('disable/'))).toEqual([]);
  });

  it('a comment on the last line silences nothing and is reported', () => {
    const problems = compileWith({ 'metrics.yaml': badMetrics.trimEnd() + '\n# vigil-disable-next-line metric/naming: nothing follows', 'recording.yaml': badRecording });
    expect(problems.filter((p) => p.code === 'disable/unused')).toHaveLength(1);
  });

  it('stacked comments above one line all apply to it', () => {
    const text = withComment('# vigil-disable-next-line metric/naming: upstream name\n# vigil-disable-next-line alert/name-style: nothing to silence here');
    const problems = compileWith({ 'metrics.yaml': text, 'recording.yaml': badRecording });
    expect(naming(problems)).toEqual([]);
    expect(problems.filter((p) => p.code === 'disable/unused').map((p) => p.line)).toEqual([6]);
  });

  it.each([
    ['# vigil-disable-next-line metric/naming', 'gives no reason'],
    ['# vigil-disable-next-line metric/naming:   ', 'gives no reason'],
    ['# vigil-disable-next-line : because', 'names no check id'],
    ['# vigil-disable-next-line metric/namig: upstream', 'unknown check id "metric/namig"'],
    ['# vigil-disable-line metric/naming: upstream', 'unknown directive "vigil-disable-line"'],
    ['# vigil-disable-next-line schema: upstream', 'schema is reported while loading or validating'],
    ['# vigil-disable-next-line secret/literal: upstream', 'secret/literal cannot be turned off'],
  ])('%s is a located disable/invalid error and silences nothing', (comment, message) => {
    const problems = compileWith({ 'metrics.yaml': withComment(comment), 'recording.yaml': badRecording });
    const invalid = problems.filter((p) => p.code === 'disable/invalid');
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ severity: 'error', file: 'metrics.yaml', line: 5 });
    expect(invalid[0]!.message).toContain(message);
    expect(naming(problems)).toHaveLength(1);
  });

  it.each([
    ['two lines above the problem', 3],
    ['below the problem', 7],
  ])('a comment %s is reported as disable/unused and silences nothing', (_where, at) => {
    const problems = compileWith({ 'metrics.yaml': withComment('# vigil-disable-next-line metric/naming: upstream name', at), 'recording.yaml': badRecording });
    expect(naming(problems)).toHaveLength(1);
    expect(problems.filter((p) => p.code === 'disable/unused')).toMatchObject([{ severity: 'warning', file: 'metrics.yaml', line: at }]);
  });

  it('a comment for another check on that line silences nothing', () => {
    const problems = compileWith({ 'metrics.yaml': withComment('# vigil-disable-next-line alert/name-style: wrong id'), 'recording.yaml': badRecording });
    expect(naming(problems)).toHaveLength(1);
    expect(problems.filter((p) => p.code === 'disable/unused').map((p) => p.line)).toEqual([5]);
  });

  it('loading and schema errors cannot be disabled', () => {
    const text = base.find((s) => s.file === 'receivers.yaml')!.text.replace('  - name: oncall\n', '  # vigil-disable-next-line schema: trying\n  - name: oncall\n    colour: red\n');
    const problems = compileWith({ 'receivers.yaml': text });
    expect(problems.some((p) => p.code === 'schema')).toBe(true);
    expect(problems.some((p) => p.code === 'disable/invalid')).toBe(true);
  });

  it('a disable used only by an environment compile is not reported unused by the shared one', () => {
    const env = `apiVersion: vigil/v1\nkind: Environment\nname: prod\nprometheus:\n  - { url: "http://prom:9090", rulesDir: /etc/prometheus/rules }\nscrape:\n  app: { targets: ["app:8080"] }\n  # vigil-disable-next-line env/scrape: scraped by a job outside Vigil\n  legacy: { targets: ["legacy:9100"] }\n`;
    const without = compileWith({ 'env.yaml': env.replace(/ *# vigil-disable.*\n/, '') });
    expect(without.filter((p) => p.code === 'env/scrape' && p.message.includes('legacy'))).toHaveLength(1);
    const problems = compileWith({ 'env.yaml': env });
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(problems.filter((p) => p.code === 'env/scrape' && p.message.includes('legacy'))).toEqual([]);
    expect(problems.filter((p) => p.code === 'disable/unused')).toEqual([]);
  });
});

describe('disable comments in TypeScript definitions', () => {
  it('// vigil-disable-next-line silences the problem reported on the next line, and a stale one is reported', async () => {
    const { cp, mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const os = await import('node:os');
    const { loadDirectory } = await import('../../src/load/index.ts');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-disable-ts-'));
    try {
      await cp(BASE, dir, { recursive: true });
      await rm(path.join(dir, 'metrics.yaml'));
      await writeFile(path.join(dir, 'recording.yaml'), badRecording);
      const metrics = (comment: string) =>
        `import { defineMetrics } from '${path.join(import.meta.dirname, '../../src/index.ts')}';\n\nexport default defineMetrics({\n  source: 'app',\n  metrics: [\n${comment}    { name: 'http_requests', type: 'counter', help: 'Requests served.', labels: ['service', 'code'] },\n    { name: 'queue_depth', type: 'gauge', help: 'Items waiting.', labels: ['service'] },\n    { name: 'request_duration_seconds', type: 'histogram', help: 'Request latency.', labels: ['service'] },\n  ],\n  external: [{ source: 'node_exporter', prefixes: ['node_'], labels: ['instance', 'job', 'mountpoint'] }, { source: 'prometheus', names: ['up'] }],\n});\n`;
      const run = async (comment: string) => {
        await writeFile(path.join(dir, 'metrics.ts'), metrics(comment));
        const loaded = await loadDirectory(dir);
        const texts = new Map(loaded.sources.map((s) => [s.file, s.text]));
        return compileProject(loaded, { emit: false }).diagnostics.map((d) => ({ ...(d.code === 'ts/load' ? { message: d.message } : {}), code: d.code, file: d.span?.file.split('/').slice(1).join('/'), line: d.span ? lineColAt(texts.get(d.span.file) ?? '', d.span.start).line : 0 }));
      };
      const plain = await run('');
      expect(plain.filter((p) => p.code === 'metric/naming' && p.file === 'metrics.ts')).toEqual([{ code: 'metric/naming', file: 'metrics.ts', line: 6 }]);
      const silenced = await run('    // vigil-disable-next-line metric/naming: the exporter names it so\n');
      expect(silenced.filter((p) => p.file === 'metrics.ts')).toEqual([]);
      const stale = await run('    // vigil-disable-next-line metric/naming: the exporter names it so\n\n');
      expect(stale.filter((p) => p.file === 'metrics.ts').map((p) => p.code).sort()).toEqual(['disable/unused', 'metric/naming']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
