import { keySpanOf } from '../model/types.ts';
import type { Check } from './check.ts';

/**
 * Rule group options the Prometheus Vigil builds for (and tests with: promtool 2.42) refuses to load. Set the check to
 * `off` in policies.checks when every Prometheus of the project is recent enough: the option is then written as given.
 */
const NEWER_OPTIONS = [{ key: 'queryOffset', written: 'query_offset', since: '2.53' }] as const;

export const ruleUnsupportedCheck: Check = {
  id: 'rule/unsupported',
  description: 'Rule groups use only options Prometheus 2.42 loads (query_offset needs 2.53).',
  severity: 'error',
  run(ctx) {
    for (const group of ctx.model.groups) {
      for (const option of NEWER_OPTIONS) {
        if (group[option.key] === undefined) continue;
        ctx.report({
          message: `group ${group.name}: \`${option.key}\` is written as \`${option.written}\`, which Prometheus loads only from version ${option.since} (promtool 2.42 rejects the rule file)`,
          span: keySpanOf({ def: group.origin.def, path: [] }, option.key),
          hint: `remove \`${option.key}\`, or, when every Prometheus of the project runs ${option.since} or later, set policies.checks: { rule/unsupported: off }`,
        });
      }
    }
  },
};
