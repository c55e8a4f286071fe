import MarkdownIt, { type Token } from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { oneLine } from '../util/markdown.ts';
import { buildChanges, type Change } from './changes.ts';
import { renderChangesMarkdown, renderChangesText, summarise } from './changes-render.ts';
import { buildView, type BuildView } from './read.ts';

interface Alert {
  name: string;
  severity?: string;
  expr: string;
  for?: string;
  threshold?: string;
  labels?: Record<string, string>;
}
interface Tree {
  alerts?: Alert[];
  records?: { record: string; expr: string }[];
  alertmanager?: unknown;
  dashboards?: Record<string, unknown>;
  files?: Record<string, string>;
}

/** A build of the given objects, as the emitters lay them out. */
function tree(t: Tree): BuildView {
  const rules = [
    ...(t.records ?? []).map((r) => ({ record: r.record, expr: r.expr })),
    ...(t.alerts ?? []).map((a) => ({ alert: a.name, expr: a.expr, ...(a.for ? { for: a.for } : {}), labels: { ...a.labels, ...(a.severity ? { severity: a.severity } : {}) }, annotations: { summary: 's', ...(a.threshold ? { threshold: a.threshold } : {}) } })),
  ];
  const files = [
    { path: 'prometheus/rules/app.yml', content: JSON.stringify({ groups: [{ name: 'app', rules }] }), sources: [] },
    ...(t.alertmanager ? [{ path: 'alertmanager/alertmanager.yml', content: JSON.stringify(t.alertmanager), sources: [] }] : []),
    ...Object.entries(t.dashboards ?? {}).map(([uid, d]) => ({ path: `grafana/dashboards/${uid}.json`, content: JSON.stringify(d), sources: [] })),
    ...Object.entries(t.files ?? {}).map(([path, content]) => ({ path, content, sources: [] })),
  ];
  return buildView(files);
}

const warn: Alert = { name: 'QueueDeep', severity: 'warning', expr: 'queue_depth > 100', for: '10m', threshold: '> 100' };
const crit: Alert = { name: 'QueueDeep', severity: 'critical', expr: 'queue_depth > 500', for: '5m', threshold: '> 500' };
const am = (receiver: string, extra: Record<string, unknown> = {}) => ({
  route: { receiver: 'default', routes: [{ matchers: ['severity="critical"'], receiver }] },
  receivers: [{ name: 'default' }, { name: receiver, webhook_configs: [{ url: 'http://hook' }] }],
  inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname'] }],
  ...extra,
});

const CASES: [string, Tree, Tree, Partial<Change>[]][] = [
  ['a level\'s threshold, said once (not again as the expression)', { alerts: [warn, crit] }, { alerts: [{ ...warn, expr: 'queue_depth > 150', threshold: '> 150' }, crit] }, [{ kind: 'alert', change: 'changed', name: 'QueueDeep', details: [{ what: 'level warning: threshold', from: '> 100', to: '> 150' }] }]],
  ['an expression', { alerts: [warn] }, { alerts: [{ ...warn, expr: 'max(queue_depth) > 100' }] }, [{ name: 'QueueDeep', details: [{ what: 'level warning: expression', from: 'queue_depth > 100', to: 'max(queue_depth) > 100' }] }]],
  ['a for duration and a label', { alerts: [warn] }, { alerts: [{ ...warn, for: '15m', labels: { team: 'b' } }] }, [{ details: [{ what: 'level warning: for', from: '10m', to: '15m' }, { what: 'level warning: labels', from: '{severity="warning"}', to: '{severity="warning", team="b"}' }] }]],
  ['a level added and one removed', { alerts: [warn] }, { alerts: [crit] }, [{ details: [{ what: 'level critical added' }, { what: 'level warning removed' }] }]],
  ['an alert added and one removed', { alerts: [warn] }, { alerts: [{ ...warn, name: 'QueueStuck' }] }, [{ change: 'added', name: 'QueueStuck' }, { change: 'removed', name: 'QueueDeep' }]],
  ['a recording rule\'s expression', { records: [{ record: 'job:x:rate5m', expr: 'rate(x[5m])' }] }, { records: [{ record: 'job:x:rate5m', expr: 'rate(x[10m])' }] }, [{ kind: 'recording rule', name: 'job:x:rate5m', details: [{ what: 'expression', from: 'rate(x[5m])', to: 'rate(x[10m])' }] }]],
  ['a route\'s receiver (and the receivers it names)', { alertmanager: am('pager') }, { alertmanager: am('phone') }, [
    { kind: 'route', change: 'changed', name: 'root > {severity="critical"}', details: [{ what: 'receiver', from: 'pager', to: 'phone' }] },
    { kind: 'receiver', change: 'added', name: 'phone' },
    { kind: 'receiver', change: 'removed', name: 'pager' },
  ]],
  ['a receiver\'s integration', { alertmanager: am('pager') }, { alertmanager: { ...am('pager'), receivers: [{ name: 'default' }, { name: 'pager', webhook_configs: [{ url: 'http://other' }] }] } }, [{ kind: 'receiver', change: 'changed', name: 'pager', details: [{ what: 'webhook_configs changed' }] }]],
  ['an inhibit rule', { alertmanager: am('pager') }, { alertmanager: am('pager', { inhibit_rules: [] }) }, [{ kind: 'inhibit rule', change: 'removed', name: '{severity="critical"} mutes {severity="warning"} when equal in alertname' }]],
  ['a dashboard\'s panels', { dashboards: { ops: { title: 'Ops', panels: [{ title: 'CPU', expr: 'a' }, { title: 'Disk' }] } } }, { dashboards: { ops: { title: 'Ops', panels: [{ title: 'CPU', expr: 'b' }, { title: 'Net' }] } } }, [{ kind: 'dashboard', name: 'Ops (ops)', details: [{ what: 'panels added: Net' }, { what: 'panels removed: Disk' }, { what: 'panels changed: CPU' }] }]],
  ['another file', { files: { 'relay/relay.yml': 'a' } }, { files: { 'relay/relay.yml': 'b' } }, [{ kind: 'file', change: 'changed', name: 'relay/relay.yml' }]],
  ['nothing', { alerts: [warn], alertmanager: am('pager') }, { alerts: [warn], alertmanager: am('pager') }, []],
];

describe('what changed between two builds, in the words of the definitions', () => {
  it.each(CASES)('%s', (_name, before, after, want) => {
    const changes = buildChanges(tree(before), tree(after));
    expect(changes).toHaveLength(want.length);
    want.forEach((w, i) => expect(changes[i]).toMatchObject(w));
  });

  it('says once what every environment shares, and apart what one environment has', () => {
    const shared: Change = { kind: 'alert', change: 'changed', name: 'A', details: [{ what: 'level warning: threshold', from: '> 1', to: '> 2' }] };
    const own: Change = { kind: 'route', change: 'added', name: 'root > {team="x"}', details: [] };
    const summary = summarise([{ scope: 'dev', changes: [shared] }, { scope: 'prod', changes: [shared, own] }]);
    expect(summary.everywhere).toEqual([shared]);
    expect(summary.scopes).toEqual([{ scope: 'dev', changes: [] }, { scope: 'prod', changes: [own] }]);
    expect(renderChangesText(summary)).toBe('every environment:\n  ~ alert A: level warning: threshold > 1 → > 2\nprod:\n  + route root > {team="x"}\n');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The markdown is a pull-request comment: whatever the definitions hold must stay text.

const md = new MarkdownIt({ linkify: true });
const HOSTILE = [
  '|', 'a | b', '\\|', '`', '``', 'x`y', '\n| injected | row |', '\r\n### heading', '@octo-org/team', '@someone', '[link](https://evil.example.com)', '![img](https://e/p.png)',
  '<img src=x onerror=alert(1)>', '</details><script>x</script>', 'https://evil.example.com', 'www.evil.com', 'a@evil.com', '**bold** _i_ ~~s~~', '$x$', '&amp;', '\u202e', '<!-- c -->', '- item', '> quote',
];

function tokens(text: string): Token[] {
  const out: Token[] = [];
  const visit = (list: Token[]) => {
    for (const t of list) {
      out.push(t);
      if (t.children) visit(t.children);
    }
  };
  visit(md.parse(text, {}));
  return out;
}

describe('the pull-request summary is injection-safe', () => {
  it.each(HOSTILE.map((h) => [JSON.stringify(h), h]))('%s in names, labels, expressions, values and the environment', (_name, h) => {
    const changes: Change[] = [
      { kind: 'alert', change: 'changed', name: `Alert${h}`, details: [{ what: `level ${h}: threshold`, from: `> ${h}`, to: h }, { what: `level ${h} added` }] },
      { kind: 'route', change: 'removed', name: `root > {team="${h}"}`, details: [{ what: 'receiver', from: h }] },
      { kind: 'dashboard', change: 'changed', name: h, details: [{ what: `panels changed: ${h}` }] },
    ];
    const text = renderChangesMarkdown(summarise([{ scope: h, changes }, { scope: 'prod', changes: [] }]));
    const all = tokens(text);
    expect(all.filter((t) => t.type === 'link_open' || t.type === 'image' || t.type.startsWith('html'))).toEqual([]);
    expect(all.filter((t) => t.type === 'heading_open').map((t) => t.tag)).toEqual(['h3', 'h4']);
    expect(all.filter((t) => t.type === 'tr_open')).toHaveLength(1 + changes.length);
    expect(all.filter((t) => t.type === 'td_open')).toHaveLength(4 * changes.length);
    // No mention: an @ outside a code span is escaped, so GitHub pings no one.
    const outsideCode = text.replace(/(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
    expect(outsideCode).not.toMatch(/(^|[^\\])@/);
    const names = all.filter((t) => t.type === 'code_inline').map((t) => t.content);
    expect(names).toContain(`Alert${oneLine(h)}`);
    expect(names).toContain(`root > {team="${oneLine(h)}"}`);
    // The terminal form: one line per change whatever the values hold, controls made visible.
    const plain = renderChangesText(summarise([{ changes }]));
    expect(plain.split('\n').filter(Boolean)).toHaveLength(1 + changes.length);
    expect(plain).not.toMatch(/[\r\u2028\u2029\u202e\u000b\u000c]/);
  });
});
