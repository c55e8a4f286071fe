import { describe, expect, it } from 'vitest';
import { parseAlertmanagerMatcher } from '../routing/matchers.ts';
import { matchersOf, matcherStrings } from './alertmanager-matchers.ts';

const strings = (node: Record<string, unknown>, prefix = '') => matcherStrings(matchersOf(node, prefix).matchers);

describe('matchersOf: match, match_re and matchers as Vigil matcher strings', () => {
  it.each([
    ['match', { match: { severity: 'critical' } }, ['severity="critical"']],
    ['match with a number', { match: { code: 500 } }, ['code="500"']],
    ['match with a quote and a backslash', { match: { msg: 'say "hi" \\o/' } }, ['msg="say \\"hi\\" \\\\o/"']],
    ['match_re keeps its anchors (Alertmanager anchors again: same meaning)', { match_re: { service: '^(foo1|foo2|baz)$' } }, ['service=~"^(foo1|foo2|baz)$"']],
    ['match_re with an escaped dot', { match_re: { host: 'db\\.example' } }, ['host=~"db\\\\.example"']],
    ['matchers with spaces around the operator', { matchers: ['severity = critical'] }, ['severity="critical"']],
    ['matchers, several in one string', { matchers: ['{team="a", env=~"prod|stage"}'] }, ['env=~"prod|stage"', 'team="a"']],
    ['all three, sorted as Alertmanager keeps them', { match: { b: '1' }, match_re: { a: 'x.*' }, matchers: ['c!="2"', 'a!~"y"'] }, ['a=~"x.*"', 'a!~"y"', 'b="1"', 'c!="2"']],
    ['an empty match value', { match: { team: '' } }, ['team=""']],
  ])('%s', (_name, node, expected) => {
    expect(strings(node)).toEqual(expected);
  });

  it('reads the prefixed keys of inhibit rules', () => {
    expect(strings({ source_match: { severity: 'critical' }, target_match_re: { severity: 'warning|info' } }, 'source_')).toEqual(['severity="critical"']);
    expect(strings({ source_match: { severity: 'critical' }, target_match_re: { severity: 'warning|info' } }, 'target_')).toEqual(['severity=~"warning|info"']);
  });

  it('writes strings Alertmanager parses back to the same value', () => {
    const value = 'a "quoted" \\ back\nslash';
    const [text] = strings({ match: { x: value } });
    expect(parseAlertmanagerMatcher(text!).value).toBe(value);
  });

  it.each([
    ['a label name Alertmanager refuses', { match: { 'bad-label': 'x' } }, ['match', 'bad-label'], /not a label name/],
    ['an RE2-invalid regex', { match_re: { a: '(x' } }, ['match_re', 'a'], /invalid regular expression/],
    ['a malformed matcher', { matchers: ['severity'] }, ['matchers', 0], /bad matcher format|matcher/],
    ['match that is not a mapping', { match: ['a'] }, ['match'], /mapping/],
  ])('reports %s with where it is', (_name, node, path, message) => {
    const { problems } = matchersOf(node);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toEqual(path);
    expect(problems[0]!.message).toMatch(message);
  });
});
