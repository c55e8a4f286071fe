import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_HELP } from '../../src/cli/test.ts';
import { FORMATS, formatOf } from '../../src/cli/options.ts';
import { defaultExportHint } from '../../src/load/define-hint.ts';
import { REPO, runVigil } from '../helpers/cli.ts';
import { buildExample } from '../helpers/example.ts';

/**
 * #9 §1 messages: each one a user met that was wrong, unclear or misleading, as a table of the inputs that produce it.
 */
mkdirSync(path.join(REPO, '.tmp'), { recursive: true });
const root = mkdtempSync(path.join(REPO, '.tmp', 'messages-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const BASE = path.join(REPO, 'test/fixtures/base');

let projects = 0;
/** The base fixture project with some of its files changed (a function receives the current text). */
function project(changes: Record<string, string | ((text: string) => string)>): string {
  const dir = path.join(root, `p${projects++}`);
  cpSync(BASE, path.join(dir, 'monitoring'), { recursive: true });
  for (const [file, change] of Object.entries(changes)) {
    const target = path.join(dir, 'monitoring', file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, typeof change === 'string' ? change : change(readFileSync(target, 'utf8')));
  }
  return dir;
}

const COMMANDS = ['validate', 'build', 'test', 'checks', 'plan', 'deploy'] as const;

describe('thresholds that are not finite numbers', () => {
  const cases = ['.nan', '.NaN', '.inf', '+.inf', '-.inf', '.Inf'];
  it.each(cases)('value: %s says it is not a finite number, at the value', (value) => {
    const dir = project({ 'alerts.yaml': (t) => t.replace('value: 100, for', `value: ${value}, for`) });
    const r = runVigil(['validate'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('got number null');
    expect(r.stderr).toMatch(new RegExp(`monitoring/alerts\\.yaml:9:\\d+: error\\[schema\\]: alerts\\[0\\]\\.thresholds\\.warning\\.value: must be a number, got -?\\.(nan|inf) \\([-A-Za-z]+\\), which is not a finite number`));
  });
});

describe('command-line options', () => {
  const typos: [string, string][] = [
    ['--formt', '--format'],
    ['--fromat', '--format'],
    ['--Format', '--format'],
  ];
  const cases = COMMANDS.flatMap((c) => typos.map(([typo, meant]) => ({ command: c, typo, meant })));
  it.each(cases)('vigil $command $typo: a clean message with the closest option', ({ command, typo, meant }) => {
    const r = runVigil([command, typo, 'json'], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`vigil ${command}: unknown option ${typo}; did you mean ${meant}?`);
    // The first line has balanced quotes (node's own message left one open).
    const first = r.stderr.split('\n')[0]!;
    expect((first.match(/'/g) ?? []).length % 2).toBe(0);
    expect((first.match(/"/g) ?? []).length % 2).toBe(0);
  });

  it.each([
    ['deploi', 'deploy'],
    ['valdate', 'validate'],
    ['biuld', 'build'],
    ['tset', 'test'],
  ])('unknown command %s: did you mean %s?', (typo, meant) => {
    const r = runVigil([typo], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`vigil: unknown command "${typo}"; did you mean ${meant}?`);
  });

  it('names command-specific options too, and lists the options when nothing is close', () => {
    expect(runVigil(['build', '--chek'], root).stderr).toContain('unknown option --chek; did you mean --check?');
    expect(runVigil(['plan', '--evn', 'prod'], root).stderr).toContain('unknown option --evn; did you mean --env?');
    expect(runVigil(['validate', '--zzzzzz'], root).stderr).toContain('unknown option --zzzzzz; the options are --cache-dir, --env, --environment-file, --format, --help, --live, --live-lookback, --live-timeout, --no-cache, --watch');
  });

  it('says when an option lacks its value or a switch is given one', () => {
    const missing = runVigil(['build', '--out'], root);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('vigil build: option --out needs a value (--out VALUE or --out=VALUE)');
    expect(runVigil(['build', '--check=yes'], root).stderr).toContain('vigil build: option --check is a switch and takes no value');
  });
});

describe('--format', () => {
  const ALL = ['text', 'json', 'github', 'markdown', 'xml'];
  const rejected = COMMANDS.flatMap((command) => ALL.filter((f) => !(FORMATS[command] as readonly string[]).includes(f)).map((format) => ({ command, format })));
  it.each(rejected)('vigil $command --format $format is a usage error that names the formats it takes', ({ command, format }) => {
    const r = runVigil([command, '--format', format], root);
    expect(r.code).toBe(2);
    const takes = FORMATS[command];
    expect(r.stderr).toContain(`this command does not take --format "${format}"`);
    expect(r.stderr).toContain(`use ${takes.slice(0, -1).join(', ')} or ${takes.at(-1)}`);
  });

  it('every command takes text and json; github where it prints definition problems; markdown for plan', () => {
    for (const command of COMMANDS) {
      for (const f of ['text', 'json']) expect(formatOf(command, { format: f })).toBe(f);
    }
    expect(COMMANDS.filter((c) => (FORMATS[c] as readonly string[]).includes('github'))).toEqual(['validate', 'build', 'test']);
    expect(COMMANDS.filter((c) => (FORMATS[c] as readonly string[]).includes('markdown'))).toEqual(['plan']);
  });

  it.each(COMMANDS)('vigil %s --help shows exactly the formats it takes', (command) => {
    const usage = runVigil([command, '--help']).stdout.split('\n')[0]!;
    expect(usage).toContain(`[--format ${FORMATS[command].join('|')}]`);
  });
});

describe('help text', () => {
  const helps: [string, string][] = [['vigil --help', runVigil(['--help']).stdout], ...COMMANDS.map((c): [string, string] => [`vigil ${c} --help`, runVigil([c, '--help']).stdout]), ['TEST_HELP', TEST_HELP]];
  it.each(helps)('%s is wrapped at phrase ends: no line breaks where the next word still fits', (_name, text) => {
    const WIDTH = 120;
    const lines = text.split('\n');
    const premature: string[] = [];
    lines.forEach((line, i) => {
      expect(line.length, line).toBeLessThanOrEqual(WIDTH);
      const next = lines[i + 1];
      // A parenthesis split after its first word: "(rolled\nback)".
      if (/\([^\s)]+$/.test(line)) premature.push(`${line} / ${next}`);
      // Prose only: a line that does not end a sentence or a list is followed by one whose first word would have fit.
      if (next === undefined || line === '' || next === '' || /^\s/.test(next) || /^\s/.test(line) || /[.:;]$/.test(line)) return;
      const word = next.split(' ')[0]!;
      if (line.length + 1 + word.length <= WIDTH - 2 && line.length < 60) premature.push(`${line} / ${next}`);
    });
    expect(premature).toEqual([]);
  });
});

describe('an environment that was not built', () => {
  /** The example's build, in `<example>/generated/`: environments dev, prod and staging. */
  const example = path.join(root, 'example');
  beforeAll(async () => {
    await buildExample(example);
  });

  it.each(['plan', 'deploy'])('vigil %s --env prd is a usage error (exit 2) that lists the built environments', (command) => {
    const r = runVigil([command, '--env', 'prd'], example);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`vigil ${command}: generated/ holds no build of environment "prd" (built: dev, prod, staging); did you mean "prod"?`);
    expect(r.stderr).not.toMatch(/skipped|nothing planned|nothing deployed/);
  });

  it('in a project without environments, --env names what is missing', () => {
    const dir = project({});
    expect(runVigil(['build'], dir).code).toBe(0);
    const r = runVigil(['plan', '--env', 'prod'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("generated/ holds no environment's build (--env prod); declare a `kind: Environment` and run `vigil build`");
  });
});

describe('route matchers written with ==', () => {
  const cases: [string, string][] = [
    ['team == "data"', 'team="data"'],
    ['team=="data"', 'team="data"'],
    ['team === "data"', 'team="data"'],
    ['team==data', 'team="data"'],
  ];
  it.each(cases)('%s: "==" is not an operator, hint %s', (matcher, fixed) => {
    const dir = project({ 'routes.yaml': (t) => t.replace(`'severity="warning"'`, `'${matcher}'`) });
    const r = runVigil(['validate'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('unescaped double quote');
    expect(r.stderr).toMatch(/monitoring\/routes\.yaml:8:\d+: error\[route\/matcher\]: "={2,3}" is not a matcher operator/);
    expect(r.stderr).toContain(`hint: write ${fixed}: the operators are =, !=, =~ and !~`);
  });
});

describe('a TypeScript file without a default export', () => {
  const cases: [string, string][] = [
    ['dashboards/app.ts', 'defineDashboard'],
    ['alerts/app.ts', 'defineAlertRules'],
    ['recording/app.ts', 'defineRecordingRules'],
    ['metrics/app.ts', 'defineMetrics'],
    ['tests/alerts.ts', 'defineRuleTests'],
    ['environments/prod.ts', 'defineEnvironment'],
    ['receivers.ts', 'defineReceivers'],
    ['routes.ts', 'defineRoutes'],
    ['severities.ts', 'defineSeverities'],
    ['project.ts', 'defineProject'],
  ];
  it.each(cases)('%s is hinted with %s', (file, helper) => {
    expect(defaultExportHint(file)).toContain(`export default ${helper}(`);
  });

  it('a file whose name says nothing lists every helper', () => {
    const hint = defaultExportHint('misc/x.ts');
    for (const [, helper] of cases) expect(hint).toContain(helper);
  });

  it('end to end: a dashboard file is hinted with defineDashboard, not defineAlertRules', () => {
    const dir = project({ 'dashboards/app.ts': "import { defineDashboard } from 'vigil';\n\nexport const d = 1;\n" });
    const r = runVigil(['validate'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('monitoring/dashboards/app.ts:1:1: error[ts/load]: TypeScript definition has no default export');
    expect(r.stderr).toContain('hint: export the definition: `export default defineDashboard({ ... })`');
    expect(r.stderr).not.toContain('defineAlertRules');
  });
});

describe('summaries of projects with errors', () => {
  const broken = `---
apiVersion: vigil/v1
kind: AlertRules
group: more
labels: { team: app }
alerts:
  - { name: A1, expr: up == 0, severity: critical, summary: s, runbook: https://r.example.com, unknownField: 1 }
  - { name: A2, expr: up == 0, severity: critical, summary: s, runbook: https://r.example.com }
  - { name: A3, expr: up == 0, severity: critical, summary: s, runbook: https://r.example.com }
`;
  it('validate says how many alerts were not counted', () => {
    const r = runVigil(['validate'], project({ 'alerts.yaml': (t) => t + broken }));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/monitoring: 8 files, 2 alerts \(3 more in definitions with errors, not counted\): 1 error/);
  });

  it('build says it too, in text and in JSON', () => {
    const dir = project({ 'alerts.yaml': (t) => t + broken });
    expect(runVigil(['build'], dir).stderr).toContain('nothing was written to generated/; 2 alerts (3 more in definitions with errors, not counted)');
    const json = JSON.parse(runVigil(['build', '--format', 'json'], dir).stdout) as { stats: { alerts: number; alertsNotCounted: number } };
    expect(json.stats).toMatchObject({ alerts: 2, alertsNotCounted: 3 });
  });

  it('a clean project says nothing about uncounted alerts', () => {
    expect(runVigil(['validate'], project({})).stdout).toMatch(/monitoring: 8 files, 2 alerts: 0 errors/);
  });
});

describe('dashboards without a uid', () => {
  const cases: [string, RegExp][] = [
    ['uid: ""\n  title: ""', /dashboard \(no uid, no title\): uid: must be 1-40 characters/],
    ['uid: ""\n  title: Hi', /dashboard "Hi" \(no uid\): uid: must be 1-40 characters/],
    ['title: Hi', /dashboard "Hi" \(no uid\): uid: is required/],
  ];
  it.each(cases)('%j is named by its title, never "dashboard : …"', (fields, message) => {
    const dir = project({ 'sdk.yaml': `apiVersion: vigil/v1\nkind: Dashboard\ngrafanaDashboard:\n  ${fields}\n` });
    const r = runVigil(['validate'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/dashboard : /);
    expect(r.stderr).toMatch(message);
  });

  it('the problem is placed at the uid that is wrong, not at 1:1', () => {
    const dir = project({ 'sdk.yaml': 'apiVersion: vigil/v1\nkind: Dashboard\ngrafanaDashboard:\n  uid: ""\n  title: Hi\n' });
    expect(runVigil(['validate'], dir).stderr).toMatch(/monitoring\/sdk\.yaml:4:8: error\[dashboard\/json\]: dashboard "Hi" \(no uid\): uid:/);
  });
});

describe('duplicate rule groups', () => {
  it('the hint says why Vigil needs unique group names (one file each), not that Prometheus needs them globally', () => {
    const dup = 'apiVersion: vigil/v1\nkind: AlertRules\ngroup: app\nlabels: { team: app }\nalerts:\n  - { name: Other, expr: up == 0, severity: critical, summary: s, runbook: https://r.example.com }\n';
    const r = runVigil(['validate'], project({ 'dup.yaml': dup }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[rule/duplicate]: duplicate rule group "app"');
    expect(r.stderr).toContain('each group is written to its own prometheus/rules/<group>.yml, so two groups of one name would be one file');
    expect(r.stderr).not.toContain('Prometheus rule group names must be unique');
  });
});
