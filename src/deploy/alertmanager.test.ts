import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { configChanges } from './alertmanager.ts';

const want = load(`
route:
  receiver: team
  group_wait: 60m
  routes:
    - receiver: oncall
      matchers: ['severity="critical"']
receivers:
  - name: team
    webhook_configs: [{ url: "http://hook/team", send_resolved: true }]
  - name: oncall
    wechat_configs: [{ api_secret: "s3cret", corp_id: ww1 }]
templates: [templates/*.tmpl]
`) as Record<string, unknown>;

// What Alertmanager 0.25 shows in /api/v2/status: defaults filled in, secrets masked, durations normalised.
const live = load(`
global:
  resolve_timeout: 5m
  http_config: { follow_redirects: true }
route:
  receiver: team
  group_wait: 1h
  continue: false
  routes:
    - receiver: oncall
      matchers: ['severity="critical"']
      continue: false
receivers:
  - name: team
    webhook_configs: [{ send_resolved: true, url: <secret>, max_alerts: 0 }]
  - name: oncall
    wechat_configs: [{ send_resolved: false, api_secret: <secret>, corp_id: ww1, api_url: https://qyapi.weixin.qq.com/cgi-bin/ }]
templates: [/etc/alertmanager/templates/*.tmpl]
`) as Record<string, unknown>;

describe('comparing the build with the configuration Alertmanager shows', () => {
  it('sees no change when only defaults, masked secrets, duration spelling and resolved template paths differ', () => {
    expect(configChanges(want, live)).toEqual([]);
  });

  it('names added, changed and removed receivers and a changed route tree', () => {
    const changed = structuredClone(want) as { receivers: { name: string }[]; route: { routes: { receiver: string }[] } };
    changed.receivers = [{ name: 'team', webhook_configs: [{ url: 'http://hook/team', send_resolved: false }] } as never, { name: 'audit' }];
    changed.route.routes[0]!.receiver = 'audit';
    expect(configChanges(changed as never, live)).toEqual([
      { kind: 'change', object: 'receiver team', detail: 'webhook_configs[0].send_resolved: true → false' },
      { kind: 'add', object: 'receiver audit' },
      { kind: 'remove', object: 'receiver oncall' },
      { kind: 'change', object: 'route tree', detail: 'routes[0].receiver: "oncall" → "audit"' },
    ]);
  });

  it('sees inhibit rules that were added', () => {
    const more = { ...want, inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname'] }] };
    expect(configChanges(more, live)).toEqual([{ kind: 'change', object: 'inhibit rules' }]);
  });

  it('says where the route tree differs, in the plan', () => {
    const fewer = structuredClone(want) as { route: { routes: unknown[] } };
    fewer.route.routes = [];
    expect(configChanges(fewer as never, live)).toEqual([{ kind: 'change', object: 'route tree', detail: 'routes: 1 → 0 entries' }]);
  });
});

describe('configChanges compares matcher lists as Alertmanager sorts them', () => {
  const config = (route: string[], source: string[]) => ({
    route: { receiver: 'team', routes: [{ receiver: 'team', routes: [{ receiver: 'oncall', matchers: route }] }] },
    inhibit_rules: [{ source_matchers: source, target_matchers: ['severity="info"'] }],
    receivers: [{ name: 'team' }, { name: 'oncall' }],
  });
  const lists = [
    ['severity="warning"', 'alertname=~"NodeDisk.+"'],
    ['team!="x"', 'team="a"', 'alertname="Z"', 'alertname="A"'],
    ['{b="1", a="2"}', 'c="3"'],
  ];
  for (const list of lists) {
    it(`${list.join(' ')}: any written order equals the sorted one`, () => {
      const live = config([...list].sort(), [...list].sort());
      expect(configChanges(config(list, list), live)).toEqual([]);
      expect(configChanges(config([...list].reverse(), list), live)).toEqual([]);
    });
    it(`${list.join(' ')}: a different matcher is still a change`, () => {
      const changed = configChanges(config([...list, 'x="1"'], list), config(list, list));
      expect(changed.map((c) => c.object)).toEqual(['route tree']);
      const inhibit = configChanges(config(list, [...list.slice(1), 'x="1"']), config(list, list));
      expect(inhibit.map((c) => c.object)).toEqual(['inhibit rules']);
    });
  }
});
