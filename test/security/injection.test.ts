// Issue #8 §4: nothing a definition controls can inject into what others read. A generated table of hostile strings
// is placed in every user-controlled value that reaches output (the emitters are fed directly, so values the loader
// or schema would refuse — a file name with a line break — still prove the emitters safe on their own), and then:
// (a) every generated YAML reads back as exactly the intended structure (YAML 1.1 and 1.2, one document), and the
//     real promtool and amtool accept it;
// (b) every generated Markdown, rendered by a real Markdown parser, holds no link, image or HTML that the definitions
//     introduced;
// (c) every Go template field reads the hostile value as literal text (the real amtool renders it back, and
//     promtool's rule unit tests see the literal label value).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import MarkdownIt, { type Token } from 'markdown-it';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { CompileResult } from '../../src/compile.ts';
import type { TargetPlan } from '../../src/deploy/target.ts';
import { renderPlanMarkdown, renderPlanText } from '../../src/deploy/render.ts';
import { emitAlertmanager } from '../../src/emit/alertmanager.ts';
import { goTemplateText } from '../../src/emit/alertmanager-templates.ts';
import { goYaml } from '../../src/emit/artifact.ts';
import { emitAlertCatalogue } from '../../src/emit/docs.ts';
import { emitDashboards } from '../../src/emit/grafana-dashboards.ts';
import { emitPrometheusRules } from '../../src/emit/prometheus-rules.ts';
import { buildView } from '../../src/build/read.ts';
import { emitRoutingDoc } from '../../src/emit/routing-doc.ts';
import { toYaml } from '../../src/emit/yaml-writer.ts';
import type { AlertModel, Model } from '../../src/model/types.ts';
import { analyzeGoTemplate } from '../../src/templates/go-template.ts';
import { htmlText, mdCell, mdCode, mdFence, mdText, oneLine } from '../../src/util/markdown.ts';
import { baseFile, compileBase } from '../helpers/model.ts';

/** The groups a rule file carries as data from the emitter (what deploy compares, never parsed from the YAML). */
function emittedGroups(artifact: Parameters<typeof buildView>[0][number]) {
  const [file] = buildView([artifact]).ruleGroups;
  expect(file!.carried).toBe(true);
  return file!.groups;
}

// ---------------------------------------------------------------------------------------------------------------
// The hostile strings: every shape the issue lists, each alone, embedded in text, and doubled.

const SHAPES = [
  '\n', '\r', '\r\n', '\u2028', '\u2029', '\u0085', '\u000b', '\u000c', '\t', '\u0000', '\u001b[31m', '\u0090', '\ufeff',
  '\u202e', '\u2066', '\u007f', '\uffff', '---', '...', '--- !!str', '#', ' # x', ': ', 'a: b', '- x', '? x', '{', '}', '[', ']', '{a: b}',
  '&anchor', '*alias', '!!python/object:os.system', '!tag', '%YAML 1.1', '%TAG ! x', '@x', '"', "'", '\\', '\\n', '|', '>',
  '|-\n  x', 'yes', 'no', 'on', '~', 'null', '0x1F', '1e3', '2001-12-14',
  '![x](http://e/p.png)', '[x](javascript:alert(1))', '[x]: http://e/ref', '<img src=x>', '<script>alert(1)</script>',
  '<http://x>', '<a@e.com>', 'https://evil.example.com/p', 'http://e', '//evil.com/x', 'www.evil.com', 'a@evil.com',
  'javascript:alert(1)', 'data:text/html,<b>x</b>', '&amp;', '&#x3C;img&#x3E;', '**b**', '_i_', '~~s~~', '$x$', '1. item',
  '+ item', '> quote', '# heading', '=====', '    indented', '\\[x\\](http://e)', '{{ . }}', '}}{{', '{{ define "x" }}',
  '{{ define "x" }}{{ end }}', '{{', '{{{', '}}', '{{- .Status -}}', '{{ template "vigil.email.html" . }}',
  'x\ngroups:\n- name: injected\n  rules: []\n---\n#',
  ...Array.from({ length: 8 }, (_, i) => '`'.repeat(i + 1)),
  '```\n![pixel](https://e/p.png)\n```',
];
const HOSTILE: string[] = [...new Set(SHAPES.flatMap((s) => [s, `a${s}b`, `${s}${s}`]))];
// What a file can hold and a process argument cannot: NUL.
const ARGV_SAFE = HOSTILE.filter((h) => !h.includes('\u0000'));

// ---------------------------------------------------------------------------------------------------------------
// The model: the base fixture plus a WeCom receiver and routes on a label the hostile value will sit in.

const RECEIVERS_EXTRA = `
  - name: wx
    wecom: { corpId: corp, agentId: "1", toParty: "2", toUser: u, toTag: t, apiSecret: { env: WX_SECRET } }
`;
const ROUTES = `apiVersion: vigil/v1
kind: Routes
receiver: team
groupBy: [alertname, service]
routes:
  - matchers: ['note="placeholder"']
    receiver: wx
    continue: true
  - matchers: ['note!="placeholder"', 'severity="info"']
    receiver: team
  - matchers: ['severity="critical"']
    receivers: [oncall, team]
  - matchers: ['severity="warning"']
    receiver: team
`;

let base: CompileResult;
let dir = '';
beforeAll(async () => {
  base = await compileBase({ 'receivers.yaml': (await baseFile('receivers.yaml')) + RECEIVERS_EXTRA, 'routes.yaml': ROUTES });
  expect(base.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-injection-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const alertNamed = (model: Model, name: string) => model.groups.flatMap((g) => g.alerts).find((a) => a.name === name)!;

/**
 * Puts `h` into every user-controlled value of the base model that reaches output, runs `use`, then restores the
 * model (emitters are pure, so one model serves every variant). `templates: 'valid'` leaves the alert's own
 * templates (summary, description, runbook) alone when `h` is not a valid template: Vigil's template/syntax check
 * rejects those, so promtool would too. `names` also puts `h` into an alert's and a receiver's name, which the
 * schema forbids (so the real tools are not asked about them) but the Markdown emitters must survive anyway.
 */
function withHostile<T>(h: string, use: (model: Model) => T, templates: 'all' | 'valid' = 'all', names = false): T {
  const model = base.model;
  const alert = alertNamed(model, 'QueueDeep');
  const down = alertNamed(model, 'TargetDown');
  const wx = model.receivers.find((r) => r.name === 'wx')!;
  const team = model.receivers.find((r) => r.name === 'team')!;
  const routes = model.routes!.root.routes;
  const saved = {
    file: alert.origin.def.file,
    alert: { summary: alert.summary, description: alert.description, runbook: alert.runbook, labels: alert.labels },
    downLabels: down.labels,
    grafana: model.project!.grafana.url,
    projectName: model.project!.name,
    smtpFrom: model.project!.smtp!.from,
    wecom: { ...wx.channels.wecom! },
    emailTo: team.channels.email!.to,
    matchers: routes.slice(0, 2).map((r) => r.matchers),
    names: { alert: alert.name, wx: wx.name, route: routes[0]!.receivers },
  };
  const validTemplate = analyzeGoTemplate(h).problems.length === 0;
  try {
    (alert.origin.def as { file: string }).file = `x${h}.yaml`;
    if (templates === 'all' || validTemplate) {
      alert.summary = h;
      alert.description = h;
      alert.runbook = `https://runbooks.example.com/${h}`;
    }
    alert.labels = { ...alert.labels, note: h };
    down.labels = { ...down.labels, note: h };
    model.project!.grafana.url = `https://grafana.example.com/${h}`;
    (model.project as { name: string }).name = h;
    model.project!.smtp!.from = `alerts${h}@example.com`;
    Object.assign(wx.channels.wecom!, { corpId: h, toParty: h, toUser: h, toTag: h });
    team.channels.email!.to = [`team${h}@example.com`];
    routes[0]!.matchers = [{ ...saved.matchers[0]![0]!, value: h }];
    routes[1]!.matchers = [{ ...saved.matchers[1]![0]!, value: h }, ...saved.matchers[1]!.slice(1)];
    if (names) {
      (alert as { name: string }).name = `Queue${h}`;
      (wx as { name: string }).name = `wx${h}`;
      routes[0]!.receivers = [`wx${h}`];
    }
    return use(model);
  } finally {
    (alert.origin.def as { file: string }).file = saved.file;
    Object.assign(alert, saved.alert);
    down.labels = saved.downLabels;
    model.project!.grafana.url = saved.grafana;
    (model.project as { name: string }).name = saved.projectName;
    model.project!.smtp!.from = saved.smtpFrom;
    Object.assign(wx.channels.wecom!, saved.wecom);
    team.channels.email!.to = saved.emailTo;
    routes[0]!.matchers = saved.matchers[0]!;
    routes[1]!.matchers = saved.matchers[1]!;
    (alert as { name: string }).name = saved.names.alert;
    (wx as { name: string }).name = saved.names.wx;
    routes[0]!.receivers = saved.names.route;
  }
}

const label = (h: string) => JSON.stringify(h);

// ---------------------------------------------------------------------------------------------------------------
// (a) YAML

/** The YAML as both YAML versions read it, after checking it is one document without errors or warnings. */
function readYaml(text: string): unknown {
  const docs = parseAllDocuments(text);
  expect(Array.isArray(docs) ? docs.length : 0).toBe(1);
  const [doc] = docs as ReturnType<typeof parseAllDocuments> & unknown[];
  expect(doc!.errors).toEqual([]);
  const v12 = parse(text, { version: '1.2', uniqueKeys: true });
  expect(parse(text, { version: '1.1', uniqueKeys: true })).toEqual(v12);
  return v12;
}

/** Every line of the text that YAML sees as structure (not inside a comment); a comment is exactly one line. */
function commentLinesAreSingle(text: string): void {
  // Go's yaml.v2 breaks lines at NEL, LS and PS too: none may appear raw anywhere in a file Vigil writes for Go.
  expect(text).not.toMatch(/[\u0085\u2028\u2029\r]/);
}

describe('(a) YAML: hostile values keep the intended structure', () => {
  it.each(HOSTILE.map((h) => [label(h), h]))('the YAML writer round-trips %s as a key, a value and in lists', (_name, h) => {
    const value = { [h]: h, list: [h, { [h]: [h] }], nested: { a: h, b: `x${h}`, c: `${h}x` } };
    commentLinesAreSingle(toYaml(value));
    expect(readYaml(toYaml(value))).toEqual(value);
  });

  it.each(HOSTILE.map((h) => [label(h), h]))('a header comment holding %s stays one comment line', (_name, h) => {
    const text = goYaml({ groups: [] }, ['Generated by Vigil.', `Source: ${h}`, h]);
    commentLinesAreSingle(text);
    const lines = text.split('\n');
    expect(lines.slice(0, 3).every((l) => l.startsWith('# '))).toBe(true);
    expect(lines.slice(3)).toEqual(['groups: []', '']);
    expect(readYaml(text)).toEqual({ groups: [] });
  });

  it.each(HOSTILE.map((h) => [label(h), h]))('Prometheus rule files from a definition named and holding %s read back as emitted', (_name, h) => {
    withHostile(h, (model) => {
      for (const artifact of emitPrometheusRules(model)) {
        commentLinesAreSingle(artifact.content);
        expect(readYaml(artifact.content)).toEqual(JSON.parse(JSON.stringify({ groups: emittedGroups(artifact) })));
      }
      const app = emitPrometheusRules(model).find((a) => a.path === 'prometheus/rules/app.yml')!;
      const rules = (readYaml(app.content) as { groups: { rules: Record<string, Record<string, string>>[] }[] }).groups[0]!.rules;
      const queue = rules.filter((r) => (r.alert as unknown) === 'QueueDeep');
      expect(queue).toHaveLength(2);
      expect(queue[0]!.annotations!.summary).toBe(h);
      expect(queue[0]!.labels!.note).toBe(goTemplateText(h));
    });
  });

  it.each(HOSTILE.map((h) => [label(h), h]))('alertmanager.yml with %s in receiver fields reads back as emitted', (_name, h) => {
    withHostile(h, (model) => {
      const config = emitAlertmanager(model, { identityLabels: () => ['instance'] }).artifacts.find((a) => a.path.endsWith('alertmanager.yml'))!;
      commentLinesAreSingle(config.content);
      const read = readYaml(config.content) as { global: Record<string, unknown>; receivers: Record<string, Record<string, unknown>[]>[]; route: unknown };
      expect(Object.keys(read)).toEqual(['global', 'route', 'inhibit_rules', 'receivers', 'templates']);
      expect(read.receivers.map((r) => r.name)).toEqual(['oncall', 'team', 'wx']);
      expect(read.global.smtp_from).toBe(goTemplateText(`alerts${h}@example.com`));
      expect(read.receivers[1]!.email_configs![0]!.to).toBe(goTemplateText(`team${h}@example.com`));
      expect(read.receivers[2]!.wechat_configs![0]).toMatchObject({ corp_id: goTemplateText(h), to_party: goTemplateText(h), to_user: goTemplateText(h), to_tag: goTemplateText(h) });
    });
  });

  it.each(HOSTILE.map((h) => [label(h), h]))('dashboard JSON with %s in its title parses back to the same structure', (_name, h) => {
    // A copy of the dashboard: the emitter caches its JSON per dashboard object.
    const retitled = (title: string): Model => ({
      ...base.model,
      dashboards: base.model.dashboards.map((d) => ({ ...d, title, ...(d.spec ? { spec: { ...d.spec, title } } : {}) })),
    });
    const clean = JSON.parse(emitDashboards(retitled('clean'))[0]!.content) as Record<string, unknown>;
    const json = JSON.parse(emitDashboards(retitled(`"},{${h}`))[0]!.content) as Record<string, unknown>;
    expect(json.title).toBe(`"},{${h}`);
    expect({ ...json, title: 'clean' }).toEqual(clean);
  });
});

// The real tools, once over every variant (one promtool/amtool process per batch).
const promtool = spawnSync('promtool', ['--version']).status === 0;
const amtool = spawnSync('amtool', ['--version']).status === 0;

describe.skipIf(!promtool)('(a) promtool reads every hostile rule file as the intended groups', () => {
  it('checks every variant: one group per file, the intended number of rules, nothing injected', () => {
    const files: { file: string; rules: number; group: string }[] = [];
    HOSTILE.forEach((h, i) =>
      withHostile(
        h,
        (model) => {
          for (const artifact of emitPrometheusRules(model)) {
            const body = emittedGroups(artifact)[0]!;
            const file = path.join(dir, 'rules', String(i), path.basename(artifact.path));
            mkdirSync(path.dirname(file), { recursive: true });
            writeFileSync(file, artifact.content);
            files.push({ file, rules: body.rules.length, group: body.name });
          }
        },
        'valid',
      ),
    );
    const run = spawnSync('promtool', ['check', 'rules', ...files.map((f) => f.file)], { encoding: 'utf8' });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output.split('Checking ').filter((s) => /FAILED/.test(s))).toEqual([]);
    expect(run.status).toBe(0);
    for (const f of files) expect(output).toContain(`Checking ${f.file}\n  SUCCESS: ${f.rules} rules found`);
  });

  it('reads every hostile value that the YAML writer writes (Go yaml.v2, as Prometheus reads it)', () => {
    const rules = HOSTILE.map((h, i) => ({ record: `r${i}`, expr: 'up', labels: { l: h, m: `x${h}`, n: `${h} ` } }));
    const file = path.join(dir, 'writer.yml');
    writeFileSync(file, toYaml({ groups: [{ name: 'g', rules }] }));
    const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('sees each hostile label value literally when the alert fires (promtool test rules)', () => {
    const results = HOSTILE.map((h, i) =>
      withHostile(
        h,
        (model) => {
          const alert = alertNamed(model, 'TargetDown');
          const artifact = emitPrometheusRules(model).find((a) => a.path === 'prometheus/rules/app.yml')!;
          const caseDir = path.join(dir, 'label-tests', String(i));
          mkdirSync(caseDir, { recursive: true });
          writeFileSync(path.join(caseDir, 'app.yml'), artifact.content);
          const test = {
            rule_files: ['app.yml'],
            evaluation_interval: '30s',
            tests: [
              {
                interval: '30s',
                input_series: [{ series: 'up{instance="i",job="j"}', values: '0x10' }],
                alert_rule_test: [{ eval_time: '2m', alertname: 'TargetDown', exp_alerts: [{ exp_labels: { ...alert.labels, instance: 'i', job: 'j', severity: 'critical' }, exp_annotations: { runbook_url: alert.runbook!, summary: 'i is down' } }] }],
              },
            ],
          };
          writeFileSync(path.join(caseDir, 'test.yml'), toYaml(test));
          return path.join(caseDir, 'test.yml');
        },
        'valid',
      ),
    );
    const run = spawnSync('promtool', ['test', 'rules', ...results], { encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`.split('Unit Testing: ').filter((s) => /FAILED/.test(s))).toEqual([]);
    expect(run.status).toBe(0);
  });
});

describe.skipIf(!amtool)('(a, c) amtool accepts every hostile alertmanager.yml and renders template fields literally', () => {
  it('amtool check-config passes for every variant', () => {
    const files: string[] = [];
    HOSTILE.forEach((h, i) =>
      withHostile(h, (model) => {
        for (const a of emitAlertmanager(model, { identityLabels: () => ['instance'] }).artifacts) {
          const file = path.join(dir, 'am', String(i), a.path.replace(/^alertmanager\//, ''));
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, a.content);
          if (file.endsWith('alertmanager.yml')) files.push(file);
        }
      }),
    );
    const run = spawnSync('amtool', ['check-config', ...files], { encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`.split('Checking ').filter((s) => /FAILED/.test(s))).toEqual([]);
    expect(run.status).toBe(0);
  });

  it.each(ARGV_SAFE.map((h) => [label(h), h]))('a templated field holding %s renders as exactly that text', (_name, h) => {
    const tmplDir = path.join(dir, 'tmpl');
    mkdirSync(tmplDir, { recursive: true });
    const { artifacts } = emitAlertmanager(base.model, { identityLabels: () => [] });
    writeFileSync(path.join(tmplDir, 'vigil.tmpl'), artifacts.find((a) => a.path.endsWith('.tmpl'))!.content);
    const run = spawnSync('amtool', ['template', 'render', `--template.glob=${tmplDir}/*.tmpl`, `--template.text=${goTemplateText(h)}`], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.replace(/\n$/, '')).toBe(h.replace(/\n$/, ''));
  });
});

describe('(c) the notification templates hold no value from the definitions', () => {
  it('vigil.tmpl is the same whatever the definitions say', () => {
    const tmpl = (model: Model) => emitAlertmanager(model, { identityLabels: () => [] }).artifacts.find((a) => a.path.endsWith('.tmpl'))!.content;
    const clean = tmpl(base.model);
    for (const h of HOSTILE) withHostile(h, (model) => expect(tmpl(model)).toBe(clean));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// (b) Markdown

const md = new MarkdownIt({ html: true, linkify: true });

interface Rendered {
  links: string[];
  images: string[];
  html: string[];
  tokens: Token[];
}

function render(text: string): Rendered {
  const out: Rendered = { links: [], images: [], html: [], tokens: [] };
  const visit = (tokens: Token[]) => {
    for (const t of tokens) {
      out.tokens.push(t);
      if (t.type === 'link_open') out.links.push(String(t.attrGet('href') ?? ''));
      if (t.type === 'image') out.images.push(String(t.attrGet('src') ?? ''));
      if (t.type === 'html_inline' || t.type === 'html_block') out.html.push(t.content);
      if (t.children) visit(t.children);
    }
  };
  visit(md.parse(text, {}));
  return out;
}

/** The text a reader sees for an inline Markdown snippet, or undefined when it holds anything but text. */
function inlineText(snippet: string): string | undefined {
  const children = md.parseInline(snippet, {})[0]!.children!;
  return children.every((t) => t.type === 'text') ? children.map((t) => t.content).join('') : undefined;
}

describe('(b) Markdown escaping helpers render exactly the text given', () => {
  it.each(HOSTILE.map((h) => [label(h), h]))('%s as text, code span, table cells, fenced block and HTML text', (_name, h) => {
    expect(inlineText(mdText(h))).toBe(oneLine(h).trim());
    const code = md.parseInline(mdCode(h), {})[0]!.children!;
    expect(code.map((t) => t.type)).toEqual(['code_inline']);
    expect(code[0]!.content).toBe(oneLine(h) === '' ? '""' : oneLine(h));

    const table = render(`| a | b |\n|---|---|\n| ${mdCell(h)} | ${mdCode(h, true)} |\n`);
    const cells = table.tokens.filter((t) => t.type === 'inline').slice(2);
    expect(cells).toHaveLength(2);
    expect(cells[0]!.children!.every((t) => t.type === 'text')).toBe(true);
    expect(cells[0]!.children!.map((t) => t.content).join('')).toBe(oneLine(h).trim());
    expect(cells[1]!.children!.map((t) => t.type)).toEqual(['code_inline']);
    expect(cells[1]!.children![0]!.content).toBe(oneLine(h));

    const fence = render(mdFence(h, 'diff').join('\n') + '\n![after](http://e/p.png)\n');
    const fences = fence.tokens.filter((t) => t.type === 'fence');
    expect(fences).toHaveLength(1);
    expect(fences[0]!.info).toBe('diff');
    expect(fence.images).toEqual(['http://e/p.png']); // the image after the fence, outside it: the fence closed where Vigil closed it

    const summary = render(`<details><summary>${htmlText(h)}</summary>\n\n</details>\n`);
    expect(summary.html.join('')).not.toMatch(/<(?!\/?(details|summary)>)/);
  });
});

/** Links allowed in generated docs: Vigil's own anchors, and URLs exactly as a definition declared them as links. */
function assertOnlyIntendedMarkup(doc: Rendered, declaredUrls: string[], allowedHtml: RegExp): void {
  expect(doc.images).toEqual([]);
  for (const href of doc.links) {
    if (href.startsWith('#')) {
      expect(href).toMatch(/^#[a-z0-9_-]+$/);
      continue;
    }
    expect(href).toMatch(/^https?:\/\//);
    expect(declaredUrls.flatMap((u) => [u, `${u}/`, md.normalizeLink(u)])).toContain(href);
  }
  for (const html of doc.html) expect(html).toMatch(allowedHtml);
}

const GENERATED_COMMENT = /^<!-- Generated by Vigil from the definitions\. Do not edit: run `vigil build`\. -->\n$/;

describe('(b) generated Markdown shows no link, image or HTML the definitions introduced', () => {
  it.each(HOSTILE.map((h) => [label(h), h]))('docs/alerts.md with %s everywhere', (_name, h) => {
    withHostile(h, (model) => {
      const doc = render(emitAlertCatalogue(model).content);
      const alert = model.groups.flatMap((g) => g.alerts).find((a) => a.name === `Queue${h}`) as AlertModel;
      assertOnlyIntendedMarkup(doc, [alert.runbook!, `${model.project!.grafana.url}/d/${alert.dashboard}`, alertNamed(model, 'TargetDown').runbook!], GENERATED_COMMENT);
      // The blockquote shows the summary as text, whole.
      const quote = doc.tokens.findIndex((t) => t.type === 'blockquote_open');
      if (oneLine(h).trim() !== '') {
        const inline = doc.tokens[quote + 2]!;
        expect(inline.type).toBe('inline');
        expect(inline.children!.every((t) => t.type === 'text')).toBe(true);
        expect(inline.children!.map((t) => t.content).join('')).toBe(oneLine(h).trim());
      }
    }, 'all', true);
  });

  it.each(HOSTILE.map((h) => [label(h), h]))('docs/routing.md with %s in labels, matchers and the project name', (_name, h) => {
    withHostile(h, (model) => {
      const text = emitRoutingDoc(model).content;
      const doc = render(text);
      assertOnlyIntendedMarkup(doc, [], /^(<!-- Generated by Vigil from the definitions\. Do not edit: run `vigil build`\. -->\n|<br>)$/);
      // The matrix keeps one row per alert level with all six cells.
      const rows = doc.tokens.filter((t) => t.type === 'tr_open').length;
      expect(rows).toBe(1 + 3);
      expect(doc.tokens.filter((t) => t.type === 'td_open').length).toBe(3 * 6);
    }, 'all', true);
  });

  it.each(HOSTILE.map((h) => [label(h), h]))('the plan comment with %s in the environment, targets, changes and notes', (_name, h) => {
    const plans: TargetPlan[] = [
      { target: `alertmanager ${h}`, changes: [{ kind: 'change', object: `receiver ${h}`, detail: `url ${h}` }], notes: [`peer http://am-0:9093/${h} unreachable`] },
      { target: `prometheus ${h}`, changes: [{ kind: 'add', object: `rule app/${h}` }, { kind: 'remove', object: h }], notes: [] },
      { target: `grafana`, changes: [], notes: [h] },
    ];
    const text = renderPlanMarkdown(h, plans);
    const doc = render(text);
    assertOnlyIntendedMarkup(doc, [], /^(<details><summary>[^<>]*<\/summary>\n|<\/details>\n)$/);
    expect(doc.tokens.filter((t) => t.type === 'fence').map((t) => t.content.split('\n').length - 1)).toEqual([1, 2]);
    expect(doc.tokens.filter((t) => t.type === 'fence').map((t) => t.content.split('\n')[0]!.slice(0, 2))).toEqual(['~ ', '+ ']);
    expect(doc.tokens.filter((t) => t.type === 'td_open')).toHaveLength(3 * 4);
    expect(renderPlanText(h, plans)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202e]/);
  });

  it('a peer URL with an image is shown as text, not loaded (the reported case)', () => {
    const plans: TargetPlan[] = [{ target: 'alertmanager', changes: [], notes: ['peer ![pixel](https://tracker.example.com/p.png) unreachable'] }];
    const doc = render(renderPlanMarkdown('prod', plans));
    expect(doc.images).toEqual([]);
    expect(doc.links).toEqual([]);
  });
});
