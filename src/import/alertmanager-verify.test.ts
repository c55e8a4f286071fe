import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compareAlertmanager, labelSetsOf } from './alertmanager-verify.ts';

const INPUT = parse(`
route:
  receiver: default
  group_by: [alertname]
  routes:
    - match_re: { service: ^(api|web)$ }
      receiver: team/web
      continue: true
      routes:
        - matchers: ['severity!="info"']
          receiver: pager
          group_wait: 10s
          mute_time_intervals: [nights]
    - match: { service: api }
      receiver: api
inhibit_rules:
  - source_match: { severity: critical }
    target_matchers: ['severity=~"warning"']
    equal: [alertname]
time_intervals:
  - name: nights
    time_intervals: [{ times: [{ start_time: "00:00", end_time: "06:00" }] }]
receivers: [{ name: default }, { name: team/web }, { name: pager }, { name: api }]
`) as Record<string, unknown>;

/** The build as Vigil writes it: matchers normalised, names renamed, root timing written out. */
const BUILT = `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - receiver: team-web
      matchers: ['service=~"^(api|web)$"']
      continue: true
      routes:
        - receiver: pager
          matchers: ['severity!="info"']
          group_wait: 10s
          mute_time_intervals: [nights]
    - receiver: api
      matchers: ['service="api"']
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity=~"warning"']
    equal: [alertname]
time_intervals:
  - name: nights
    time_intervals: [{ times: [{ start_time: "00:00", end_time: "06:00" }] }]
receivers: [{ name: api }, { name: default }, { name: pager }, { name: team-web }]
`;
const renamed = { receivers: new Map([['team/web', 'team-web']]), intervals: new Map<string, string>() };
const compare = (built: string) => compareAlertmanager(INPUT, parse(built) as Record<string, unknown>, renamed, labelSetsOf(INPUT.route)).differences;

describe('labelSetsOf', () => {
  it('satisfies each path, and fails each of its matchers in turn', () => {
    const sets = labelSetsOf(INPUT.route).map((l) => JSON.stringify(l));
    expect(sets).toEqual(
      expect.arrayContaining([
        '{}',
        '{"service":"api"}', // the regex satisfied, from its own alternatives
        '{"service":"api","severity":"info"}', // the negative matcher failed
      ]),
    );
    // A label whose value would be empty is left out, as Alertmanager treats it.
    expect(sets.some((s) => s.includes('""'))).toBe(false);
  });

  // Label names of the input's matchers: one that Object.prototype also has is a label of the set like any other.
  it.each(['constructor', 'toString', '__proto__'])('a matcher on %s makes sets with that label, and sets that fail it', (name) => {
    const routes = [
      { receiver: 'r', matchers: [`${name}="x"`] },
      { receiver: 'r', matchers: [`${name}!="y"`] },
    ];
    const sets = labelSetsOf({ receiver: 'r', routes }).map((l) => JSON.stringify(l));
    // Satisfying the first ("x"), failing the second ("y"); a set that satisfies `!="y"` has no such label.
    expect(sets).toEqual(expect.arrayContaining(['{}', `{"${name}":"x"}`, `{"${name}":"y"}`]));
  });
});

describe('compareAlertmanager', () => {
  it('finds nothing when the build routes, inhibits and mutes the same (through renames)', () => {
    expect(compare(BUILT)).toEqual([]);
  });

  it.each([
    ['a lost continue', (b: string) => b.replace('      continue: true\n', ''), /\{service="api"\}: the input routes to pager, api, the build to pager$/m],
    ['another receiver', (b: string) => b.replace('    - receiver: api', '    - receiver: default'), /the input routes to team-web, api, the build to team-web, default/],
    ['other timing', (b: string) => b.replace('group_wait: 10s', 'group_wait: 1m'), /→ pager: group_wait is 10s in the input, 1m in the build/],
    ['inherited grouping', (b: string) => b.replace('  group_by: [alertname]\n', ''), /group_by is alertname in the input, \(none\) in the build/],
    ['a lost mute interval', (b: string) => b.replace('          mute_time_intervals: [nights]\n', ''), /mute_time_intervals is nights in the input, \(none\) in the build/],
    ['another inhibit rule', (b: string) => b.replace('equal: [alertname]', 'equal: [cluster]'), /inhibit rule \{source: \[severity="critical"\].*equal: \[alertname\]\} is not in the build/],
    ['another time interval', (b: string) => b.replace('end_time: "06:00"', 'end_time: "07:00"'), /time interval nights: .*06:00.* in the input, .*07:00.* in the build/],
    ['a missing receiver', (b: string) => b.replace('{ name: pager }, ', ''), /receiver pager is not in the build/],
  ])('lists %s', (_name, change, expected) => {
    const differences = compare(change(BUILT));
    expect(differences.length).toBeGreaterThan(0);
    expect(differences.join('\n')).toMatch(expected);
  });
});
