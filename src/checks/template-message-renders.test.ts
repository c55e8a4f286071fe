import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { deserialize, serialize } from 'node:v8';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { compile } from '../compile.ts';
import { compileProject } from '../compile-project.ts';
import { loadDirectory } from '../load/index.ts';
import { environmentNames } from '../env/overrides.ts';
import { renderOutcome, sharingRenders, type KeptRenders, type RenderOutcome } from './template-message-renders.ts';
import type { Notice } from '../relay/channels/types.ts';
import type { MessageTemplateModel } from '../model/types.ts';
import { linksOnlyPrinted } from '../relay/channels/template.ts';

// Counts the template renders, to prove the sharing happens (the diagnostics alone would not show it).
const renders = vi.hoisted(() => ({ count: 0, compiles: 0 }));
vi.mock('../relay/channels/template.ts', async (original) => {
  const actual = await original<typeof import('../relay/channels/template.ts')>();
  return {
    ...actual,
    renderTemplate: (...args: Parameters<typeof actual.renderTemplate>) => (renders.count++, actual.renderTemplate(...args)),
    compileTemplate: (...args: Parameters<typeof actual.compileTemplate>) => (renders.compiles++, actual.compileTemplate(...args)),
  };
});
vi.mock('../relay/channels/dingtalk.ts', async (original) => {
  const actual = await original<typeof import('../relay/channels/dingtalk.ts')>();
  return { ...actual, dingtalkRenderedBody: (...args: Parameters<typeof actual.dingtalkRenderedBody>) => (renders.count++, actual.dingtalkRenderedBody(...args)) };
});

const REPO = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(REPO, 'test/fixtures/checks');
const FIXTURE_NAMES = (await readdir(FIXTURES)).sort();
const temps: string[] = [];
afterAll(() => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

/** test/fixtures/base with the files of `fixtures` laid over it in turn (`# delete` removes a base file), and `extra`. */
async function project(fixtures: string[], extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-renders-'));
  temps.push(dir);
  await cp(path.join(REPO, 'test/fixtures/base'), dir, { recursive: true });
  for (const name of fixtures) {
    for (const file of await readdir(path.join(FIXTURES, name), { recursive: true })) {
      if (file === 'expect.yaml') continue;
      const bytes = await readFile(path.join(FIXTURES, name, file)).catch(() => null);
      if (!bytes) continue;
      if (bytes.toString('utf8').trim() === '# delete') await rm(path.join(dir, file), { force: true });
      else await writeFile(path.join(dir, file), bytes);
    }
  }
  for (const [file, text] of Object.entries(extra)) await writeFile(path.join(dir, file), text);
  return dir;
}

/** Each compile's diagnostics from compileProject (renders shared) and from compiles run alone (nothing shared). */
async function sharedAndAlone(dir: string) {
  const loaded = await loadDirectory(dir);
  renders.count = 0;
  const project = compileProject(loaded, { emit: false });
  const sharedRenders = renders.count;
  const shared = [project.base, ...project.environments.map((e) => e.result)].map((r) => r.diagnostics);
  const names = ['', ...project.environments.map((e) => e.name)];
  renders.count = 0;
  const alone = [undefined, ...environmentNames(loaded.definitions)].map((environment) => compile(loaded, { emit: false, environment }).diagnostics);
  return { shared, alone, names, sharedRenders, aloneRenders: renders.count };
}

const environment = (name: string, publicUrl: string, overrides = '') => `apiVersion: vigil/v1
kind: Environment
name: ${name}
prometheus:
  - { url: "http://prom.${name}:9090", rulesDir: /etc/prometheus/rules }
relay: { publicUrl: "${publicUrl}" }
${overrides}`;

/** A DingTalk template of 19,9xx bytes and its links: with a long public URL, over DingTalk's 20,000. */
const NEAR_THE_LIMIT = `apiVersion: vigil/v1
kind: Templates
templates:
  - name: near-the-limit
    channel: dingtalk
    receivers: [oncall]
    body: "{{#each alerts}}{{#if confirmUrl}}[确认]({{confirmUrl}}) {{/if}}{{labels.service}}{{/each}} ${'告'.repeat(6600)}"
`;

describe('template/message renders shared by the compiles of a project', () => {
  it('give every compile the diagnostics it has alone, over the example, and render less', async () => {
    const run = await sharedAndAlone(path.join(REPO, 'examples/ml-platform'));
    expect(run.shared).toHaveLength(4);
    expect(run.shared).toEqual(run.alone);
    expect(run.sharedRenders).toBeLessThan(run.aloneRenders);
  });

  it('give the diagnostics a compile has alone where the environments differ only in the links they read', async () => {
    const dir = await project(['template-message'], {
      'templates.yaml': NEAR_THE_LIMIT,
      'short.yaml': environment('short', 'https://r.example.com'),
      'long.yaml': environment('long', `https://relay.example.com/${'x'.repeat(400)}`),
      'unlabelled.yaml': environment('unlabelled', 'https://r.example.com', 'overrides:\n  alerts:\n    QueueDeep: { expr: "max(queue_depth)" }\n'),
    });
    const run = await sharedAndAlone(dir);
    expect(run.shared).toEqual(run.alone);
    const messages = (name: string) => run.shared[run.names.indexOf(name)]!.filter((d) => d.code === 'template/message').map((d) => d.message);
    const [base, long, short, unlabelled] = ['', 'long', 'short', 'unlabelled'].map(messages);
    // Without a public URL there are no links: far under the limit.
    expect(base).toEqual([]);
    expect(short).toEqual([]);
    expect(long).toEqual([expect.stringMatching(/^template near-the-limit renders 20,\d{3} bytes for alert QueueDeep/)]);
    expect(unlabelled).toEqual([expect.stringContaining('"service" is not defined')]);
  });

  // Templates that print the links, and templates that read their characters (each one alone in a project with three
  // public URLs that differ in length, in their ninth character and in a character the view percent-encodes).
  const PRINTED = `{{#each alerts}}{{#if confirmUrl}}[确认]({{confirmUrl}}) [关闭]({{closeUrl}}) {{/if}}{{#unless closeUrl}}-{{/unless}}{{labels.service}}{{/each}} ${'告'.repeat(6500)}`;
  const LINK_USES: Record<string, { title?: string; body: string; onlyPrinted: boolean }> = {
    printed: { body: PRINTED, onlyPrinted: true },
    // The same body twice, with a title that reads no link, then one that does (template/message keeps whether a
    // template only prints its links by title and body, across compiles and projects: not by body alone).
    'printed, with a title': { title: '{{#each alerts}}{{alertname}}{{/each}}', body: PRINTED, onlyPrinted: true },
    'printed, with a link in the title': { title: '{{#each alerts}}{{confirmUrl}}{{/each}}', body: PRINTED, onlyPrinted: false },
    'a property of a link': { body: '{{#each alerts}}[x]({{confirmUrl.length}}){{/each}}', onlyPrinted: false },
    'a link as the context': { body: '{{#each alerts}}{{#with confirmUrl}}[x]({{length}}){{/with}}{{/each}}', onlyPrinted: false },
    'a character by lookup': { body: '{{#each alerts}}[x]({{lookup confirmUrl 8}}){{/each}}', onlyPrinted: false },
    "each over an alert's view": { body: '{{#each alerts.[0]}}{{#if @last}}{{#with this}}[x]({{length}}){{/with}}{{/if}}{{/each}}', onlyPrinted: false },
    'a block parameter': { body: '{{#each alerts as |a|}}{{#with a.confirmUrl}}[x]({{length}}){{/with}}{{/each}}', onlyPrinted: false },
    // The text of a stand-in link, put together by the template (no part of the template or the notice holds it whole).
    'a stand-in spelled by the template': { body: `{{#each alerts}}[x]({{confirmUrl}}) https://vigil-link-{{#if confirmUrl}}stand-in{{/if}}.invalid/confirm https://vigil-link-{{#if confirmUrl}}{{/if}}stand-in.invalid/close{{/each}} ${'告'.repeat(6500)}`, onlyPrinted: true },
    'a link in the title': { title: '{{#each alerts}}{{confirmUrl}}{{/each}}', body: `{{#each alerts}}{{labels.service}}{{/each}} ${'告'.repeat(6500)}`, onlyPrinted: false },
  };

  it.each(Object.keys(LINK_USES))('give each environment its own links: %s', async (name) => {
    const use = LINK_USES[name]!;
    const template = { name: 'links', channel: 'dingtalk' as const, receivers: ['oncall'], ...(use.title ? { title: use.title } : {}), body: use.body };
    expect(linksOnlyPrinted(template)).toBe(use.onlyPrinted);
    const dir = await project(['template-message'], {
      'templates.yaml': `apiVersion: vigil/v1\nkind: Templates\ntemplates:\n  - ${JSON.stringify(template)}\n`,
      'short.yaml': environment('short', 'https://a.example.com'),
      'long.yaml': environment('long', `https://b.example.com/${'x'.repeat(400)}`),
      'encoded.yaml': environment('encoded', 'https://c.example.com/(x)|y'),
    });
    const run = await sharedAndAlone(dir);
    expect(run.shared).toEqual(run.alone);
    // Each variant's outcome depends on the links (the compiles report different things): else it would prove nothing.
    const reports = run.shared.map((d) => JSON.stringify(d.filter((x) => x.code === 'template/message').map((x) => x.message)));
    expect(new Set(reports.slice(1)).size).toBeGreaterThan(1);
  });

  it('a template whose title and body both fail is reported at its title (the relay renders the body first)', async () => {
    const templates = `apiVersion: vigil/v1
kind: Templates
templates:
  - name: both-fail
    channel: dingtalk
    receivers: [oncall]
    title: "{{#each alerts}}{{labels.in_title}}{{/each}}"
    body: "{{#each alerts}}{{labels.in_body}}{{/each}}"
`;
    const run = await sharedAndAlone(await project(['template-message'], { 'templates.yaml': templates }));
    expect(run.shared).toEqual(run.alone);
    const failures = run.shared[0]!.filter((d) => d.code === 'template/message').map((d) => d.message);
    expect(failures).toEqual([expect.stringContaining('template both-fail, title, fails for alert QueueDeep')]);
  });

  it.each(FIXTURE_NAMES)('give the diagnostics each compile has alone: fixture %s', async (name) => {
    const run = await sharedAndAlone(await project([name]));
    expect(run.shared).toEqual(run.alone);
  });
});

/** An in-memory stand-in for the incremental cache's renders store, serialising as it does (V8's serializer). */
function keptStore(): KeptRenders & { size(): number } {
  const entries = new Map<string, Buffer>();
  return {
    get: (key) => (entries.has(key) ? deserialize(entries.get(key)!) : undefined),
    set: (key, value) => void entries.set(key, serialize(value)),
    size: () => entries.size,
  };
}

describe('template/message renders kept across runs (the incremental cache)', () => {
  it('a second run renders nothing and gives the same diagnostics, failures, sizes and links included', async () => {
    const dir = await project(['template-message'], {
      'templates.yaml': NEAR_THE_LIMIT,
      'long.yaml': environment('long', `https://relay.example.com/${'x'.repeat(400)}`),
      'short.yaml': environment('short', 'https://r.example.com'),
      'unlabelled.yaml': environment('unlabelled', 'https://r.example.com', 'overrides:\n  alerts:\n    QueueDeep: { expr: "max(queue_depth)" }\n'),
    });
    const loaded = await loadDirectory(dir);
    const diagnosticsOf = (p: ReturnType<typeof compileProject>) => [p.base, ...p.environments.map((e) => e.result)].map((r) => r.diagnostics);
    const cold = diagnosticsOf(compileProject(loaded, { emit: false }));
    const kept = keptStore();
    renders.count = 0;
    const first = diagnosticsOf(sharingRenders(() => compileProject(loaded, { emit: false }), kept));
    expect(renders.count).toBeGreaterThan(0);
    expect(kept.size()).toBeGreaterThan(0);
    renders.count = 0;
    renders.compiles = 0;
    const second = diagnosticsOf(sharingRenders(() => compileProject(loaded, { emit: false }), kept));
    expect(renders.count).toBe(0);
    expect(renders.compiles).toBe(0);
    expect(first).toEqual(cold);
    expect(second).toEqual(cold);
    expect(second.flat().map((d) => d.message)).toEqual(expect.arrayContaining([expect.stringMatching(/renders 20,\d{3} bytes/), expect.stringContaining('"service" is not defined')]));
  });

  it('templates that do not compile are reported from the cache as they were; nothing compiles in the second run', async () => {
    const loaded = await loadDirectory(await project(['template-message']));
    const cold = compileProject(loaded, { emit: false }).diagnostics;
    expect(cold.filter((d) => / does not compile: /.test(d.message)).length).toBeGreaterThan(0);
    const kept = keptStore();
    sharingRenders(() => compileProject(loaded, { emit: false }), kept);
    renders.compiles = 0;
    renders.count = 0;
    expect(sharingRenders(() => compileProject(loaded, { emit: false }), kept).diagnostics).toEqual(cold);
    expect(renders.compiles + renders.count).toBe(0);
  });

  it('a render that read the links is redone for a public URL not kept before', async () => {
    const withUrl = (url: string) => project(['template-message'], { 'templates.yaml': NEAR_THE_LIMIT, 'one.yaml': environment('one', url) });
    const kept = keptStore();
    const short = await loadDirectory(await withUrl('https://r.example.com'));
    sharingRenders(() => compileProject(short, { emit: false }), kept);
    const long = await loadDirectory(await withUrl(`https://relay.example.com/${'x'.repeat(400)}`));
    renders.count = 0;
    const diagnostics = sharingRenders(() => compileProject(long, { emit: false }), kept).environments[0]!.result.diagnostics;
    expect(renders.count).toBeGreaterThan(0);
    expect(diagnostics).toEqual(compile(long, { emit: false, environment: 'one' }).diagnostics);
    expect(diagnostics.map((d) => d.message)).toEqual(expect.arrayContaining([expect.stringMatching(/renders 20,\d{3} bytes/)]));
  });
});

describe('renderOutcome: a render is shared between languages only when it read no language', () => {
  const template = { name: 't', channel: 'email', body: 'b' } as MessageTemplateModel;
  const notice = (language: 'zh' | 'en', withLinks = false) =>
    ({ kind: 'firing', receiver: 'r', alerts: [], externalURL: '', language, timeZone: 'UTC', ...(withLinks ? { links: () => ({ confirm: 'https://r/c', close: 'https://r/x' }) } : {}) }) as Notice;

  it('a render that read the language is redone for the other one; one that read nothing is not', () => {
    let calls = 0;
    const byLanguage = (n: Notice): RenderOutcome => ((calls++, n.language === 'zh') ? { markup: ['zh'] } : undefined);
    const outcomes = sharingRenders(() => [renderOutcome(template, notice('zh'), undefined, byLanguage), renderOutcome(template, notice('en'), undefined, byLanguage)]);
    expect(outcomes).toEqual([{ markup: ['zh'] }, undefined]);
    expect(calls).toBe(2);
    calls = 0;
    const same = (): RenderOutcome => (calls++, { bytes: 1 });
    expect(sharingRenders(() => [renderOutcome(template, notice('zh'), undefined, same), renderOutcome(template, notice('en'), undefined, same)])).toEqual([{ bytes: 1 }, { bytes: 1 }]);
    expect(calls).toBe(1);
  });

  it('a render of a notice without links that did not look for them serves the notice with links; one that looked, or one of a notice with links, does not', () => {
    let calls = 0;
    const ignoresLinks = (): RenderOutcome => (calls++, { bytes: 1 });
    const looksForLinks = (n: Notice): RenderOutcome => (calls++, { markup: [n.links ? 'links' : 'none'] });
    const rendersOf = (first: Notice, firstBase: string | undefined, second: Notice, secondBase: string | undefined, render: (n: Notice) => RenderOutcome) => {
      calls = 0;
      const outcomes = sharingRenders(() => [renderOutcome(template, first, firstBase, render), renderOutcome(template, second, secondBase, render)]);
      return { outcomes, calls };
    };
    expect(rendersOf(notice('zh'), undefined, notice('zh', true), 'https://r', ignoresLinks)).toEqual({ outcomes: [{ bytes: 1 }, { bytes: 1 }], calls: 1 });
    expect(rendersOf(notice('zh'), undefined, notice('zh', true), 'https://r', looksForLinks)).toEqual({ outcomes: [{ markup: ['none'] }, { markup: ['links'] }], calls: 2 });
    // Looking for links that are there is not seen (only calling them is): such a render serves other links only.
    expect(rendersOf(notice('zh', true), 'https://r', notice('zh'), undefined, looksForLinks)).toEqual({ outcomes: [{ markup: ['links'] }, { markup: ['none'] }], calls: 2 });
    expect(rendersOf(notice('zh', true), 'https://r', notice('zh', true), 'https://other', looksForLinks)).toEqual({ outcomes: [{ markup: ['links'] }, { markup: ['links'] }], calls: 1 });
  });

  it('a render that read the links and not the language serves the other language with the same links only', () => {
    let calls = 0;
    const readsLinks = (n: Notice): RenderOutcome => (calls++, { markup: [n.links!({} as never)!.confirm] });
    sharingRenders(() => {
      expect(renderOutcome(template, notice('zh', true), 'https://r', readsLinks)).toEqual({ markup: ['https://r/c'] });
      expect(renderOutcome(template, notice('en', true), 'https://r', readsLinks)).toEqual({ markup: ['https://r/c'] });
      expect(calls).toBe(1);
      expect(renderOutcome(template, notice('en', true), 'https://other', readsLinks)).toEqual({ markup: ['https://r/c'] });
      expect(calls).toBe(2);
    });
  });
});
