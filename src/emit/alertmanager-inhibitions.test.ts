import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { seededRandom } from '../../test/helpers/seeded-random.ts';
import type { AlertModel, RuleGroupModel } from '../model/types.ts';
import { severityRank } from '../model/severity-rank.ts';
import { alertnameMatcher, groupInhibitionItems, groupInhibitions, InhibitionLines } from './alertmanager.ts';
import { formatMatcher } from '../routing/matchers.ts';
import { listItems, yamlScalar } from './yaml-writer.ts';

/**
 * The level inhibitions are written straight to text; it must be, byte for byte, what the YAML writer makes of the
 * rules as data (groupInhibitions), with the same sources. Random groups: names that need quoting or escaping, ladders
 * of one to four severities (undeclared ones, levels without a severity label), identities unknown, empty, unsorted,
 * repeated or naming alertname and severity, disabled alerts.
 */
const NAMES = ['A', 'BenchAlert12', '', 'job:rate.5m-x', '0', 'Disk: 90% full #2', 'say "hi"', 'back\\slash', 'on', ' padded ', 'line\nbreak', '告警', "it's", 'a|b'];
const SEVERITIES = ['critical', 'warning', 'info', 'page', 'undeclared', 'x.y'];
const LABELS = ['service', 'instance', 'alertname', 'severity', 'job', 'on', 'a b'];

describe('level inhibitions as text', () => {
  it('are the YAML of the rules as data, for 2,000 random groups', () => {
    const rank = severityRank({ severities: ['critical', 'warning', 'info', 'page', 'x.y'].map((name, i) => ({ name, rank: i })) });
    const lines = new InhibitionLines();
    let rules = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const rand = seededRandom(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      const identities = new Map<AlertModel, string[] | undefined>();
      const alerts = Array.from({ length: Math.floor(rand() * 5) }, () => {
        const levels = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => ({ severity: pick(SEVERITIES), ...(rand() < 0.1 ? { withoutSeverityLabel: true as const } : {}) }));
        const alert = { name: pick(NAMES), levels, enabled: rand() < 0.9, origin: { def: { file: `f${seed % 3}.yaml` } } } as unknown as AlertModel;
        identities.set(alert, rand() < 0.15 ? undefined : Array.from({ length: Math.floor(rand() * 4) }, () => pick(LABELS)));
        return alert;
      });
      const group = { alerts } as unknown as RuleGroupModel;
      const options = { identityLabels: (alert: AlertModel) => identities.get(alert) };
      const [fromText, fromData]: string[][] = [[], []];
      const text = groupInhibitionItems(group, rank, options, fromText, lines);
      const data = groupInhibitions(group, rank, options, fromData);
      const written = listItems(data, '  ');
      expect([text.text, text.count, text.indent], `seed ${seed}`).toEqual([written.text, written.count, written.indent]);
      expect(fromText).toEqual(fromData);
      if (data.length) expect(parse(`x:\n${text.text}\n`)).toEqual({ x: data });
      rules += data.length;
    }
    expect(rules).toBeGreaterThan(2000);
  });
});

describe('the alertname matcher of an inhibition rule', () => {
  it('is yamlScalar of formatMatcher for every name of up to 3 characters and 20,000 random ones', () => {
    const reference = (name: string) => yamlScalar(formatMatcher({ label: 'alertname', op: '=', value: name }), '        ');
    const alphabet = ['a', 'Z', '0', '_', ':', '.', '-', ' ', '#', '"', '\\', '\n', "'", '{', 'é', '\u2028', '\ud800'];
    const names = [''];
    for (const a of alphabet) for (const b of ['', ...alphabet]) for (const c of ['', ...alphabet]) names.push(a + b + c);
    const rand = seededRandom(7);
    for (let i = 0; i < 20_000; i++) names.push(Array.from({ length: Math.floor(rand() * 12) }, () => alphabet[Math.floor(rand() * alphabet.length)]!).join(''));
    for (const name of names) expect(alertnameMatcher(name), JSON.stringify(name)).toBe(reference(name));
  });
});
