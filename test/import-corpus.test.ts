// The import corpus (issue #11 §4) is what its SOURCES.md says it is: the same files, from permissive sources, each
// parsing as its kind, accepted by the real promtool and amtool, with the totals SOURCES.md gives.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dump, load, loadAll } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCommand, REPO } from './helpers/cli.ts';

const CORPUS = path.join(REPO, 'test/fixtures/import-corpus');
const KINDS = ['rules', 'prometheusrule', 'dashboards', 'alertmanager'] as const;

type Doc = Record<string, unknown>;
interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string }[];
}

/** The rows of every markdown table in `text` whose header's first cell is `firstColumn`, keyed by header. */
function table(text: string, firstColumn: string): Record<string, string>[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\|\\s*${firstColumn}\\s*\\|`).test(l));
  if (start < 0) throw new Error(`SOURCES.md has no table starting with "${firstColumn}"`);
  const cells = (l: string) => l.replace(/^\|/, '').replace(/\|\s*$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
  const header = cells(lines[start]!);
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const values = cells(line);
    rows.push(Object.fromEntries(header.map((h, i) => [h, values[i] ?? ''])));
  }
  return rows;
}

const sourcesText = readFileSync(path.join(CORPUS, 'SOURCES.md'), 'utf8');
const sources = table(sourcesText, 'file');
const totals = new Map(table(sourcesText, 'total').map((r) => [r['total']!, Number(r['count'])]));

const filesOf = (kind: string) => readdirSync(path.join(CORPUS, kind)).sort().map((f) => `${kind}/${f}`);
const read = (file: string) => readFileSync(path.join(CORPUS, file), 'utf8');
const docsOf = (file: string) => loadAll(read(file)).filter((d): d is Doc => d !== null && typeof d === 'object');

/** The PrometheusRule objects of a manifest file: every document, and the items of a List. */
function prometheusRules(file: string): Doc[] {
  return docsOf(file).flatMap((d) => (d['kind'] === 'List' ? (d['items'] as Doc[]) : [d]));
}
const groupsOf = (rule: Doc) => (rule['spec'] as { groups: RuleGroup[] }).groups;

/** The dashboards in a file: the file itself (JSON), or the JSON values of the ConfigMaps of a ConfigMap(List). */
function dashboards(file: string): Doc[] {
  if (file.endsWith('.json')) return [JSON.parse(read(file)) as Doc];
  return docsOf(file)
    .flatMap((d) => (d['kind'] === 'ConfigMapList' || d['kind'] === 'List' ? (d['items'] as Doc[]) : [d]))
    .flatMap((cm) => Object.values(cm['data'] as Record<string, string>).map((json) => JSON.parse(json) as Doc));
}

/** The alertmanager.yml text of a file: the file itself, or the alertmanager.yaml key of a Kubernetes Secret. */
function alertmanagerConfig(file: string): string {
  const [doc] = docsOf(file);
  if (doc?.['kind'] !== 'Secret') return read(file);
  const stringData = doc['stringData'] as Record<string, string> | undefined;
  if (stringData?.['alertmanager.yaml']) return stringData['alertmanager.yaml'];
  const data = doc['data'] as Record<string, string>;
  return Buffer.from(data['alertmanager.yaml']!, 'base64').toString('utf8');
}

function countRules(groups: RuleGroup[]): { alerts: number; records: number } {
  const rules = groups.flatMap((g) => g.rules);
  return { alerts: rules.filter((r) => r.alert !== undefined).length, records: rules.filter((r) => r.record !== undefined).length };
}

const gitBlobId = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

const scratch = mkdtempSync(path.join(os.tmpdir(), 'vigil-import-corpus-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('import corpus: SOURCES.md', () => {
  it('lists exactly the files of the corpus', () => {
    const listed = sources.map((r) => r['file']!).sort();
    const present = KINDS.flatMap(filesOf).sort();
    expect(listed).toEqual(present);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('gives every file a repository, path, 40-hex commit and a permissive licence', () => {
    for (const row of sources) {
      expect(row['repository'], row['file']).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(row['path'], row['file']).not.toBe('');
      expect(row['commit'], row['file']).toMatch(/^[0-9a-f]{40}$/);
      expect(row['licence'], row['file']).toMatch(/^(Apache-2\.0|MIT|BSD-[23]-Clause)\b/);
    }
  });

  it("records each file's git blob id, so an edit to a collected file shows", () => {
    for (const row of sources) expect(gitBlobId(readFileSync(path.join(CORPUS, row['file']!))), row['file']).toBe(row['blob']);
  });
});

describe('import corpus: every file is its kind', () => {
  it('rule files are plain `groups:` files of named groups', () => {
    for (const file of filesOf('rules')) {
      const docs = docsOf(file);
      expect(docs, file).toHaveLength(1);
      const groups = docs[0]!['groups'] as RuleGroup[];
      expect(groups.length, file).toBeGreaterThan(0);
      for (const g of groups) expect(typeof g.name, file).toBe('string');
    }
  });

  it('manifests hold only PrometheusRules (monitoring.coreos.com/v1), alone, in several documents or in a List', () => {
    const shapes = new Set<string>();
    for (const file of filesOf('prometheusrule')) {
      const docs = docsOf(file);
      shapes.add(docs.length > 1 ? 'multi-document' : docs[0]!['kind'] === 'List' ? 'List' : 'single');
      for (const rule of prometheusRules(file)) {
        expect([rule['apiVersion'], rule['kind']], file).toEqual(['monitoring.coreos.com/v1', 'PrometheusRule']);
        expect(groupsOf(rule).length, file).toBeGreaterThan(0);
      }
    }
    expect([...shapes].sort()).toEqual(['List', 'multi-document', 'single']);
  });

  it('dashboards parse as Grafana dashboards: bare, in the export format and in ConfigMaps', () => {
    let exported = 0;
    let inConfigMaps = 0;
    for (const file of filesOf('dashboards')) {
      for (const d of dashboards(file)) {
        expect(typeof d['title'], file).toBe('string');
        expect(Array.isArray(d['panels']) || Array.isArray(d['rows']), file).toBe(true);
        if ('__inputs' in d) exported++;
        if (!file.endsWith('.json')) inConfigMaps++;
      }
    }
    expect(exported).toBeGreaterThan(0);
    expect(inConfigMaps).toBeGreaterThan(0);
  });

  it('alertmanager configs have a route and receivers, one of them inside a Kubernetes Secret', () => {
    let secrets = 0;
    for (const file of filesOf('alertmanager')) {
      if (docsOf(file)[0]?.['kind'] === 'Secret') secrets++;
      const config = load(alertmanagerConfig(file)) as Doc;
      expect(config['route'], file).toBeTypeOf('object');
      expect(Array.isArray(config['receivers']), file).toBe(true);
    }
    expect(secrets).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasCommand('promtool'))('import corpus: promtool check rules', () => {
  const check = (files: string[]) => spawnSync('promtool', ['check', 'rules', ...files], { encoding: 'utf8' });

  it('accepts every rule file', () => {
    const r = check(filesOf('rules').map((f) => path.join(CORPUS, f)));
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('accepts the groups of every PrometheusRule', () => {
    const files = filesOf('prometheusrule').flatMap((file) =>
      prometheusRules(file).map((rule, i) => {
        const out = path.join(scratch, `${path.basename(file, '.yaml')}-${i}.yml`);
        writeFileSync(out, dump({ groups: groupsOf(rule) }));
        return out;
      }),
    );
    const r = check(files);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

describe.skipIf(!hasCommand('amtool'))('import corpus: amtool check-config', () => {
  it('accepts every routing tree', () => {
    for (const file of filesOf('alertmanager')) {
      const config = path.join(scratch, `${path.basename(file)}.alertmanager.yml`);
      writeFileSync(config, alertmanagerConfig(file));
      const r = spawnSync('amtool', ['check-config', config], { encoding: 'utf8' });
      expect(r.status, `${file}\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });
});

describe('import corpus: totals', () => {
  it('match the files', () => {
    const ruleFiles = filesOf('rules').map((f) => countRules(docsOf(f)[0]!['groups'] as RuleGroup[]));
    const manifests = filesOf('prometheusrule').map(prometheusRules);
    const manifestRules = manifests.flat().map((rule) => countRules(groupsOf(rule)));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const counted = new Map([
      ['rule files', ruleFiles.length],
      ['alert rules in rule files', sum(ruleFiles.map((c) => c.alerts))],
      ['recording rules in rule files', sum(ruleFiles.map((c) => c.records))],
      ['PrometheusRule manifests', manifests.length],
      ['PrometheusRule objects', manifests.flat().length],
      ['alert rules in PrometheusRule manifests', sum(manifestRules.map((c) => c.alerts))],
      ['recording rules in PrometheusRule manifests', sum(manifestRules.map((c) => c.records))],
      ['dashboards', sum(filesOf('dashboards').map((f) => dashboards(f).length))],
      ['routing trees', filesOf('alertmanager').length],
    ]);
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(totals));
  });
});
