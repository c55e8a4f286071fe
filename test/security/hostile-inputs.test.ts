import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/load/limits.ts';
import { REPO, VIGIL_BIN } from '../helpers/cli.ts';

/**
 * §7 of the security issue: hostile file names, encodings, sizes, links, output folders and keys, each generated into
 * a temporary project and run through the real CLI. Every one must end, in bounded time, in exit 1 with a located
 * diagnostic carrying a check id (or exit 2 with a usage message), never an internal error or a stack trace.
 */
const BASE = path.join(REPO, 'test/fixtures/base');
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** The 5 s goal (docs/benchmarks.md) with room for a loaded CI machine. */
const TIME_LIMIT_MS = 10_000;

interface Project {
  root: string;
  /** The definitions folder, `<root>/monitoring`, holding a copy of the clean base project. */
  defs: string;
}

function project(options: { git?: boolean } = {}): Project {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vigil-hostile-'));
  temps.push(root);
  const defs = path.join(root, 'monitoring');
  cpSync(BASE, defs, { recursive: true });
  if (options.git) mkdirSync(path.join(root, '.git'));
  return { root, defs };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `vigil` in the project's root; `fdLimit` runs it under `ulimit -n` (how EMFILE shows up in CI). */
function vigil(p: Project, args: string[], fdLimit?: number): Run {
  const started = performance.now();
  const env = { ...process.env, NO_COLOR: '1', VIGIL_DEBUG: '' };
  const r =
    fdLimit === undefined
      ? spawnSync(process.execPath, [VIGIL_BIN, ...args], { cwd: p.root, env, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 })
      : spawnSync('sh', ['-c', `ulimit -n ${fdLimit} && exec "$0" "$@"`, process.execPath, VIGIL_BIN, ...args], { cwd: p.root, env, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - started };
}

const METRICS = 'apiVersion: vigil/v1\nkind: Metrics\nsource: extra\nmetrics:\n  - { name: extra_total, type: counter, help: "Extra." }\n';

/** A definition that loads but fails a check: proves that a file was read, not dropped. */
const BROKEN_ALERT = 'apiVersion: vigil/v1\nkind: AlertRules\ngroup: linked\nlabels: { team: app }\nalerts:\n  - name: LinkedBroken\n    expr: rate(up[5m]\n    severity: critical\n    summary: "broken"\n    runbook: https://runbooks.example.com/x\n';

function expectHandled(r: Run, label: string): void {
  console.log(`${label}: exit ${r.code} in ${r.ms.toFixed(0)} ms`);
  expect(r.stderr).not.toMatch(/internal error/i);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/RangeError|Maximum call stack|EMFILE|ENAMETOOLONG:|ENOTDIR:/);
  expect(r.ms).toBeLessThan(TIME_LIMIT_MS);
}

/** Exit 1 and a `file:line:col: error[code]` line naming `file` (a path relative to the definitions folder). */
function expectLocated(r: Run, label: string, code: string, file?: string | RegExp, at?: { line: number; col: number }): void {
  expectHandled(r, label);
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => new RegExp(`^\\S.*:\\d+:\\d+: error\\[(?:${code})\\]: `).test(l));
  expect(lines.length, `no located ${code} error in:\n${r.stderr}`).toBeGreaterThan(0);
  if (file !== undefined) {
    const match = lines.find((l) => (typeof file === 'string' ? l.startsWith(`monitoring/${file}:`) : file.test(l)));
    expect(match, `no ${code} error for ${String(file)} in:\n${r.stderr}`).toBeDefined();
    if (at) expect(match!.startsWith(`monitoring/${file}:${at.line}:${at.col}:`), match).toBe(true);
  }
}

function expectUsage(r: Run, label: string, message: RegExp): void {
  expectHandled(r, label);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(message);
}

/** Every file under `dir` with its content, to prove a refused command wrote nothing. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = path.join(entry.parentPath, entry.name);
      out.set(full, readFileSync(full, 'latin1'));
    }
  }
  return out;
}

const hex = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

describe('hostile file and folder names are refused, printed escaped', () => {
  // Every C0 control a Linux file name can hold (all but NUL and "/"), DEL, C1, the line/paragraph separators and
  // the bidirectional controls.
  const unsafe = [
    ...Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)),
    '\x7f',
    '\x85',
    '\u2028',
    '\u2029',
    '\u200e',
    '\u202a',
    '\u202e',
    '\u2066',
    '\u2069',
  ];
  it.each(unsafe.map((c) => [hex(c), c]))('file name with %s', (label, c) => {
    const p = project();
    writeFileSync(path.join(p.defs, `bad${c}name.yaml`), METRICS);
    const r = vigil(p, ['validate', 'monitoring']);
    expectLocated(r, `file name ${label}`, 'load/file-name', /^monitoring\/bad\\.*name\.yaml:1:1:/);
    expect(r.stderr.split('\n').find((l) => l.includes('error[load/file-name]'))).not.toContain(c);
  });

  it.each(['\n', '\r', '\t', '\u202e'].map((c) => [hex(c), c]))('folder name with %s', (label, c) => {
    const p = project();
    mkdirSync(path.join(p.defs, `dir${c}x`));
    writeFileSync(path.join(p.defs, `dir${c}x`, 'm.yaml'), METRICS);
    const r = vigil(p, ['validate', 'monitoring']);
    expectLocated(r, `folder name ${label}`, 'load/file-name', /^monitoring\/dir\\.*x:1:1:/);
    expect(r.stderr.split('\n').find((l) => l.includes('error[load/file-name]'))).not.toContain(c);
  });

  it('a name that carries YAML into a generated comment is refused by validate and build', () => {
    const p = project();
    const name = 'x\ngroups:\n- name: injected\n---\n#.yaml';
    writeFileSync(path.join(p.defs, name), 'apiVersion: vigil/v1\nkind: AlertRules\ngroup: carrier\nalerts: []\n');
    for (const command of ['validate', 'build']) {
      const r = vigil(p, [command, 'monitoring', ...(command === 'build' ? ['--out', 'generated'] : [])]);
      expectLocated(r, `injecting name (${command})`, 'load/file-name', 'x\\ngroups:\\n- name: injected\\n---\\n#.yaml', { line: 1, col: 1 });
      expect(r.stderr).not.toMatch(/^- name: injected/m);
    }
    expect(readdirSync(p.root)).not.toContain('generated');
  });

  const invalidUtf8: [string, number[]][] = [
    ['lone 0xff', [0xff]],
    ['lone continuation byte', [0x80]],
    ['truncated sequence', [0xe2, 0x82]],
    ['overlong "/"', [0xc0, 0xaf]],
    ['UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['Latin-1 é', [0xe9]],
  ];
  it.each(invalidUtf8)('non-UTF-8 file name: %s', (label, bytes) => {
    const p = project();
    writeFileSync(Buffer.concat([Buffer.from(path.join(p.defs, 'a')), Buffer.from(bytes), Buffer.from('.yaml')]), METRICS);
    const r = vigil(p, ['validate', 'monitoring']);
    const escaped = bytes.map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
    expectLocated(r, `file name ${label}`, 'load/file-name', `a${escaped}.yaml`, { line: 1, col: 1 });
  });

  it('a path deeper than the limit is refused, not read', () => {
    const p = project();
    let dir = p.defs;
    for (let i = 0; i < 6; i++) dir = path.join(dir, 'd'.repeat(200));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'm.yaml'), METRICS);
    expectLocated(vigil(p, ['validate', 'monitoring']), 'deep path', 'load/file-name');
  });

  it('a definitions path longer than the system allows is a usage error', () => {
    const p = project();
    expectUsage(vigil(p, ['validate', `${'d'.repeat(250)}/`.repeat(20)]), 'ENAMETOOLONG definitions path', /^vigil validate: definitions directory ".*" cannot be read \(ENAMETOOLONG\)/m);
  });

  it('a rule group whose file name would exceed 255 bytes', () => {
    const p = project();
    writeFileSync(path.join(p.defs, 'long.yaml'), `apiVersion: vigil/v1\nkind: RecordingRules\ngroup: ${'g'.repeat(300)}\nrules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n`);
    // The schema bounds names (a 300-byte rule file name cannot be written: ENAMETOOLONG).
    expectLocated(vigil(p, ['build', 'monitoring']), 'group name of 300 bytes', 'schema|output/file-name', 'long.yaml', { line: 3, col: 8 });
  });
});

describe('file contents that are not UTF-8 are reported at the first invalid byte', () => {
  const cases: [string, string, number[]][] = [
    ['at the start', '', [0xff]],
    ['inside a key', 'apiVersion: vigil/v1\nkind: Metrics\nsource: extra\nmetr', [0xe9]],
    ['inside a value', 'apiVersion: vigil/v1\nkind: Metrics\nsource: caf', [0xc3, 0x28]],
    ['after valid multi-byte text', 'apiVersion: vigil/v1\nkind: Metrics\nsource: "日本語 ', [0x80]],
    ['a surrogate', 'apiVersion: vigil/v1\nkind: Metrics\nsource: x', [0xed, 0xb0, 0x80]],
    ['truncated at the end', `${METRICS}# ends with`, [0xe2, 0x82]],
    ['overlong encoding', 'apiVersion: vigil/v1\n', [0xc0, 0x80]],
  ];
  it.each(cases)('%s', (label, prefix, bytes) => {
    const p = project();
    writeFileSync(path.join(p.defs, 'extra.yaml'), Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from('s\n  - { name: x }\n')]));
    const lines = prefix.split('\n');
    const at = { line: lines.length, col: lines[lines.length - 1]!.length + 1 };
    const r = vigil(p, ['validate', 'monitoring']);
    expectLocated(r, `encoding ${label}`, 'load/encoding', 'extra.yaml', at);
    expect(r.stderr).toContain(`byte 0x${bytes[0]!.toString(16).padStart(2, '0')}`);
  });
});

describe('sizes beyond the limits end in located errors, in bounded time', () => {
  it('5,000 definition files are all read, with few file descriptors', () => {
    const p = project();
    mkdirSync(path.join(p.defs, 'many'));
    for (let i = 0; i < 5000; i++) writeFileSync(path.join(p.defs, 'many', `m${String(i).padStart(4, '0')}.yaml`), `apiVersion: vigil/v1\nkind: Metrics\nsource: s${i}\nmetrics: []\n`);
    // The last file is broken: its error proves that every file was read.
    writeFileSync(path.join(p.defs, 'many', 'm4999.yaml'), 'apiVersion: vigil/v1\nkind: Metrics\nmetrics: [\n');
    const r = vigil(p, ['validate', 'monitoring'], 256);
    expectLocated(r, '5,000 files under ulimit -n 256', 'yaml/syntax', 'many/m4999.yaml');
    expect(r.stdout).toContain('5008 files');
  });

  it('125,000 YAML documents in one file', () => {
    const p = project();
    writeFileSync(path.join(p.defs, 'docs.yaml'), 'apiVersion: vigil/v1\nkind: Metrics\nmetrics: []\n---\n'.repeat(125_000));
    // The first document past the limit starts after the 10,000th marker: line 4 × 10,000.
    expectLocated(vigil(p, ['validate', 'monitoring']), '125,000 documents', 'load/limit', 'docs.yaml', { line: 4 * LIMITS.documents, col: 1 });
  });

  it('a 20 MB broken file', () => {
    const p = project();
    writeFileSync(path.join(p.defs, 'big.yaml'), 'a: ['.repeat((20 * 1024 * 1024) / 4));
    expectLocated(vigil(p, ['validate', 'monitoring']), '20 MB broken file', 'load/limit', 'big.yaml', { line: 1, col: 1 });
  });

  const deepShapes: [string, () => string, string][] = [
    ['2 MB of unclosed flow collections', () => 'a: ['.repeat(512 * 1024), 'yaml/syntax'],
    ['1 MB of unclosed brackets', () => '['.repeat(1024 * 1024), 'yaml/syntax'],
    ['100,000 nested brackets, closed', () => '['.repeat(100_000) + ']'.repeat(100_000), 'yaml/syntax|load/limit|schema'],
    ['100,000 nested flow mappings, closed', () => '{k: '.repeat(100_000) + '}'.repeat(100_000), 'yaml/syntax|load/limit|schema'],
    ['2,000 nested block mappings', () => Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'), 'yaml/syntax|load/limit|schema'],
    ['600,000 syntax errors', () => 'a: b\n  - c: ]]\n'.repeat(100_000), 'yaml/syntax'],
    ['10,000 syntax errors in a small file', () => 'a: b\n  - c: ]]\n'.repeat(1_000), 'yaml/syntax'],
  ];
  it.each(deepShapes)('%s', (label, text, code) => {
    const p = project();
    writeFileSync(path.join(p.defs, 'broken.yaml'), text());
    const r = vigil(p, ['validate', 'monitoring']);
    expectLocated(r, label, code, 'broken.yaml');
    expect(r.stderr.split('\n').filter((l) => l.includes('error[yaml/syntax]')).length).toBeLessThanOrEqual(LIMITS.syntaxErrorsPerFile + 1);
  });

  it('a 1,000,000-item list', () => {
    const p = project();
    writeFileSync(path.join(p.defs, 'list.yaml'), 'apiVersion: vigil/v1\nkind: Metrics\nsource: x\nmetrics:\n' + '  - 1\n'.repeat(1_000_000));
    const r = vigil(p, ['validate', 'monitoring']);
    expectLocated(r, '1,000,000 items', 'load/limit', 'list.yaml', { line: 1, col: 1 });
    expect(r.stderr).toContain('`metrics` has 1000000 items');
  });

  it('a mapping with 200,000 keys', () => {
    const p = project();
    writeFileSync(path.join(p.defs, 'map.yaml'), 'apiVersion: vigil/v1\nkind: Metrics\nsource: x\nmetrics: []\nx:\n' + Array.from({ length: 200_000 }, (_, i) => `  k${i}: 1\n`).join(''));
    expectLocated(vigil(p, ['validate', 'monitoring']), '200,000 keys', 'load/limit', 'map.yaml', { line: 1, col: 1 });
  });

  it('aliases that expand to a billion values', () => {
    const p = project();
    const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) levels.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    writeFileSync(path.join(p.defs, 'laughs.yaml'), `apiVersion: vigil/v1\nkind: Metrics\nsource: x\nmetrics: []\n${levels.join('\n')}\n`);
    expectLocated(vigil(p, ['validate', 'monitoring']), 'billion laughs', 'load/limit', 'laughs.yaml', { line: 1, col: 1 });
  });
});

describe('output and definitions folders that would overwrite each other are usage errors', () => {
  const outs: [string, (p: Project) => string, RegExp][] = [
    ['an existing file', (p) => (writeFileSync(path.join(p.root, 'out.txt'), 'keep me'), 'out.txt'), /--out "out.txt" is a file/],
    ['a path below a file', (p) => (writeFileSync(path.join(p.root, 'out.txt'), 'keep me'), 'out.txt/generated'), /--out "out.txt\/generated" is inside a file/],
    ['the definitions folder', () => 'monitoring', /is inside the definitions directory/],
    ['the definitions folder, spelled differently', () => './monitoring/../monitoring/', /is inside the definitions directory/],
    ['a folder inside the definitions', () => 'monitoring/generated', /is inside the definitions directory/],
    ['the parent of the definitions', () => '.', /contains the definitions directory/],
    ['a link to the definitions folder', (p) => (symlinkSync('monitoring', path.join(p.root, 'alias')), 'alias'), /is inside the definitions directory/],
  ];
  it.each(outs)('--out at %s', (label, out, message) => {
    const p = project();
    const where = out(p);
    const before = snapshot(p.root);
    for (const check of [false, true]) {
      const r = vigil(p, ['build', 'monitoring', '--out', where, ...(check ? ['--check'] : [])]);
      expectUsage(r, `--out at ${label}${check ? ' --check' : ''}`, message);
    }
    expect(snapshot(p.root)).toEqual(before);
  });

  it.each(outs)('vigil test --out at %s', (label, out, message) => {
    const p = project();
    const where = out(p);
    const before = snapshot(p.root);
    expectUsage(vigil(p, ['test', 'monitoring', '--out', where]), `test --out at ${label}`, message);
    expect(snapshot(p.root)).toEqual(before);
  });

  it.each(['validate', 'build'])('a definitions path that is a file (%s)', (command) => {
    const p = project();
    expectUsage(vigil(p, [command, 'monitoring/alerts.yaml']), `definitions file (${command})`, /definitions path "monitoring\/alerts.yaml" is a file/);
  });
});

describe('symbolic links are followed inside the repository only', () => {
  it.each([
    ['a file', false],
    ['a folder', true],
  ])('a link to %s inside the repository is followed', (label, folder) => {
    const p = project({ git: true });
    mkdirSync(path.join(p.root, 'shared'));
    writeFileSync(path.join(p.root, 'shared', 'broken.yaml'), BROKEN_ALERT);
    symlinkSync(folder ? '../shared' : '../shared/broken.yaml', path.join(p.defs, folder ? 'shared' : 'linked.yaml'));
    // The linked definition's own error proves it was read, under the link's name.
    expectLocated(vigil(p, ['validate', 'monitoring']), `link to ${label} inside`, 'promql/syntax', folder ? 'shared/broken.yaml' : 'linked.yaml');
  });

  const refused: [string, (p: Project) => void, string, RegExp][] = [
    ['a file outside the repository', (p) => symlinkSync('/etc/hostname', path.join(p.defs, 'host.yaml')), 'host.yaml', /outside the repository/],
    ['a folder outside the repository', (p) => symlinkSync(os.tmpdir(), path.join(p.defs, 'tmp')), 'tmp', /outside the repository/],
    ['a sibling folder without git', (p) => (mkdirSync(path.join(p.root, 'shared')), symlinkSync('../shared', path.join(p.defs, 'shared'))), 'shared', /outside the repository/],
    ['its own folder', (p) => symlinkSync('.', path.join(p.defs, 'self')), 'self', /a loop/],
    ['an ancestor', (p) => (mkdirSync(path.join(p.defs, 'a/b'), { recursive: true }), symlinkSync('../..', path.join(p.defs, 'a/b/up'))), 'a/b/up', /a loop/],
    ['a cycle of links', (p) => (symlinkSync('two.yaml', path.join(p.defs, 'one.yaml')), symlinkSync('one.yaml', path.join(p.defs, 'two.yaml'))), 'one.yaml', /loop of links/],
    ['nothing', (p) => symlinkSync('missing.yaml', path.join(p.defs, 'dangling.yaml')), 'dangling.yaml', /points to nothing/],
  ];
  it.each(refused)('a link to %s is refused, naming the link', (label, setup, link, message) => {
    const p = project();
    setup(p);
    const r = vigil(p, ['validate', 'monitoring']);
    expectLocated(r, `link to ${label}`, 'load/symlink', link, { line: 1, col: 1 });
    expect(r.stderr).toMatch(message);
  });
});

describe('symbolic links that reach folders by exponentially many paths', () => {
  it('20 levels of two links each (2^20 paths) end at the folder limit', () => {
    const p = project({ git: true });
    for (let level = 0; level < 20; level++) {
      const dir = path.join(p.defs, `l${level}`);
      mkdirSync(dir);
      if (level > 0) for (const name of ['a', 'b']) symlinkSync(`../l${level}`, path.join(p.defs, `l${level - 1}`, name));
    }
    const r = vigil(p, ['validate', 'monitoring']);
    expectLocated(r, 'link fan-out', 'load/limit');
    expect(r.stderr).toMatch(new RegExp(`more than ${LIMITS.folders} folders`));
  });
});

describe('definition names on things that are not files', () => {
  const shapes: [string, (p: Project) => void, string][] = [
    ['a named pipe', (p) => spawnSync('mkfifo', [path.join(p.defs, 'pipe.yaml')]), 'pipe.yaml'],
    ['a link to a named pipe', (p) => (spawnSync('mkfifo', [path.join(p.defs, 'pipe')]), symlinkSync('pipe', path.join(p.defs, 'to-pipe.yaml'))), 'to-pipe.yaml'],
  ];
  // Reading a pipe would wait forever: refused by type before anything is opened.
  it.each(shapes)('%s', (label, setup, file) => {
    const p = project();
    setup(p);
    const r = vigil(p, ['validate', 'monitoring']);
    expectLocated(r, label, 'load/read', file, { line: 1, col: 1 });
    expect(r.stderr).toMatch(/not a regular file/);
  });
});

describe('prototype keys in Environment overrides are located errors', () => {
  const env = (body: string) => `apiVersion: vigil/v1\nkind: Environment\nname: prod\nprometheus:\n  - { url: "http://prom:9090", rulesDir: /etc/prometheus/rules }\n${body}`;
  const cases: [string, string, { line: number; col: number }][] = [];
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    cases.push([`${key} in an alert override`, env(`overrides:\n  alerts:\n    QueueDeep:\n      ${key}: { enabled: false }\n`), { line: 9, col: 7 }]);
    cases.push([`${key} nested in labels`, env(`overrides:\n  alerts:\n    QueueDeep:\n      labels:\n        ${key}: { team: x }\n`), { line: 10, col: 9 }]);
    cases.push([`${key} in externalLabels`, env(`externalLabels:\n  ${key}: { cluster: x }\n`), { line: 7, col: 3 }]);
    cases.push([`${key} in a receiver override`, env(`overrides:\n  receivers:\n    oncall:\n      ${key}: { x: 1 }\n`), { line: 9, col: 7 }]);
  }
  it.each(cases)('%s', (label, text, at) => {
    const p = project();
    writeFileSync(path.join(p.defs, 'env.yaml'), text);
    const r = vigil(p, ['validate', 'monitoring']);
    expectLocated(r, label, 'env/override', 'env.yaml', at);
    expect(r.stderr).toMatch(/cannot be merged/);
  });
});

describe('generated file names that collide on a case-insensitive file system', () => {
  const cases: [string, string, string, { line: number; col: number }][] = [
    ['rule groups Inference / inference', 'groups.yaml', 'apiVersion: vigil/v1\nkind: RecordingRules\ngroup: Inference\nrules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n---\napiVersion: vigil/v1\nkind: RecordingRules\ngroup: inference\nrules:\n  - record: job:up:max\n    expr: max by (job) (up)\n', { line: 10, col: 8 }],
    ['rule groups APP-aggregations / app-aggregations', 'zz.yaml', 'apiVersion: vigil/v1\nkind: RecordingRules\ngroup: APP-aggregations\nrules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n', { line: 3, col: 8 }],
  ];
  it.each(cases)('%s', (label, file, text, at) => {
    const p = project();
    writeFileSync(path.join(p.defs, file), text);
    const before = snapshot(p.root);
    expectLocated(vigil(p, ['build', 'monitoring']), label, 'output/file-name', file, at);
    expect(snapshot(p.root)).toEqual(before);
  });

  it('dashboard uids App / app', () => {
    const p = project();
    writeFileSync(path.join(p.defs, 'zz-dashboard.yaml'), readFileSync(path.join(BASE, 'dashboard.yaml'), 'utf8').replace('uid: app', 'uid: App'));
    expectLocated(vigil(p, ['build', 'monitoring']), 'dashboard uids', 'output/file-name', 'zz-dashboard.yaml', { line: 3, col: 6 });
  });
});

describe('label names that Object.prototype also has, through validate, build and test', () => {
  // `constructor` or `toString` is a valid label name: in a catalogue, a group's labels, a selector, a grouping, a route
  // matcher and a rule test's series and expectations. Each command must treat it as a label like any other (a route
  // expectation with one was an internal error, an imported rule's was dropped, a required one never missing).
  const names = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];
  const files = (name: string): Record<string, string> => ({
    'odd-metrics.yaml': `apiVersion: vigil/v1\nkind: Metrics\nsource: odd\nmetrics:\n  - { name: odd_depth, type: gauge, help: "Items waiting.", labels: [service, ${name}] }\n`,
    'odd-alerts.yaml': `apiVersion: vigil/v1\nkind: AlertRules\ngroup: odd\nlabels: { team: app }\nalerts:\n  - name: OddDeep\n    expr: max by (service, ${name}) (odd_depth{${name}!="skip"})\n    thresholds:\n      warning: { op: ">", value: 100, for: 5m }\n    summary: "Queue of {{ $labels.service }} ({{ $labels.${name} }}) holds {{ $value }} items"\n    runbook: https://runbooks.example.com/odd-deep\n`,
    'odd-tests.yaml':
      `apiVersion: vigil/v1\nkind: RuleTests\ntests:\n  - name: odd label names\n    interval: 1m\n    series:\n      'odd_depth{service="api", ${name}="v"}': '600x10'\n      'odd_depth{service="api", ${name}="skip"}': '600x10'\n` +
      `    expect:\n      - at: 8m\n        alerts: [{ name: OddDeep, level: warning, labels: { service: api, ${name}: v } }]\n    routes:\n      - { alert: OddDeep, level: warning, labels: { ${name}: v }, receivers: [team] }\n`,
  });
  it.each(names)('%s', (name) => {
    const p = project();
    for (const [file, text] of Object.entries(files(name))) writeFileSync(path.join(p.defs, file), text);
    let tested = '';
    for (const args of [['validate', 'monitoring'], ['build', 'monitoring', '--out', 'generated'], ['test', 'monitoring', '--out', 'generated']]) {
      const r = vigil(p, args);
      const output = `${args.join(' ')}:\n${r.stdout}\n${r.stderr}`;
      expect(output).not.toMatch(/internal|at .+:\d+:\d+\)|TypeError|is not a function/);
      expect(r.code, output).toBe(0);
      tested = output;
    }
    // The user's test and the cases generated for the alert passed in promtool; its routing agreed with amtool's.
    expect(tested).toMatch(/1 user test/);
    expect(tested).toMatch(/OddDeep\s+warning\s+passed/);
    expect(tested).toMatch(/routing\s+\d+\/\d+ alert levels agree with amtool/);
    // The built rule file carries the group's alert with the selector as written, and the test ran it through promtool.
    expect(readFileSync(path.join(p.root, 'generated/prometheus/rules/odd.yml'), 'utf8')).toContain(`odd_depth{${name}!="skip"}`);
  }, 60_000);

  // Static labels named so, `__proto__` too: every rule carries them, and the generated tests expect them of promtool.
  it('a group\'s labels named __proto__, constructor and toString', () => {
    const p = project();
    const file = path.join(p.defs, 'alerts.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^labels: \{ team: app \}$/m, 'labels: { team: app, __proto__: x, constructor: y, toString: z }'));
    let tested = '';
    for (const args of [['validate', 'monitoring'], ['build', 'monitoring', '--out', 'generated'], ['test', 'monitoring', '--out', 'generated']]) {
      const r = vigil(p, args);
      tested = `${args.join(' ')}:\n${r.stdout}\n${r.stderr}`;
      expect(tested).not.toMatch(/internal|at .+:\d+:\d+\)|TypeError|is not a function/);
      expect(r.code, tested).toBe(0);
    }
    expect(tested).toMatch(/result\s+\d+ passed, 0 failed/);
    expect(readFileSync(path.join(p.root, 'generated/prometheus/rules/app.yml'), 'utf8')).toMatch(/__proto__: x\n\s+constructor: 'y'/);
  }, 60_000);

  // Names of definitions too: a receiver, a rule group and an alert named so (a severity's lowercase pattern allows
  // `constructor` only).
  it.each(names)('a receiver, a group and an alert named %s', (name) => {
    const p = project();
    const edit = (file: string, change: (text: string) => string) => writeFileSync(path.join(p.defs, file), change(readFileSync(path.join(p.defs, file), 'utf8')));
    edit('receivers.yaml', (t) => t.replace('name: team', `name: ${name}`));
    edit('routes.yaml', (t) => t.replaceAll('receiver: team', `receiver: ${name}`).replace('[oncall, team]', `[oncall, ${name}]`));
    edit('alerts.yaml', (t) => t.replace(/^group: app$/m, `group: ${name}`).replace('name: TargetDown', `name: ${name}`));
    if (name === 'constructor') edit('severities.yaml', (t) => t.replace('{ name: info }', '{ name: info }\n  - { name: constructor }'));
    for (const args of [['validate', 'monitoring'], ['build', 'monitoring', '--out', 'generated'], ['test', 'monitoring', '--out', 'generated']]) {
      const r = vigil(p, args);
      const output = `${args.join(' ')}:\n${r.stdout}\n${r.stderr}`;
      expect(output).not.toMatch(/internal|at .+:\d+:\d+\)|TypeError|is not a function/);
      expect(r.code, output).toBe(0);
    }
    expect(readFileSync(path.join(p.root, 'generated/alertmanager/alertmanager.yml'), 'utf8')).toMatch(new RegExp(`name: '?${name}'?`));
    expect(readFileSync(path.join(p.root, `generated/prometheus/rules/${name}.yml`), 'utf8')).toContain(`alert: ${name}`);
  }, 60_000);
});
