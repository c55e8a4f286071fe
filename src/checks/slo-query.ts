import { placeholderSpans } from '../slo/index.ts';
import type { Check } from './check.ts';
import { slosOf } from './slo-definitions.ts';

/** Whether the query's PromQL is valid after substitution is promql/syntax's: it reads the query at this field. */
export const sloQueryCheck: Check = {
  id: 'slo/query',
  description: 'The errorQuery and totalQuery of an events SLI hold the {{ .window }} range placeholder.',
  severity: 'error',
  run(ctx) {
    for (const found of slosOf(ctx)) {
      const events = found.slo.sli.events;
      if (!events) continue;
      for (const key of ['errorQuery', 'totalQuery'] as const) {
        if (placeholderSpans(events[key]).length > 0) continue;
        const range = /\[[0-9a-z]+\]/.exec(events[key]);
        ctx.report({
          message: `SLO ${found.slo.name}: ${key} has no {{ .window }} placeholder`,
          span: found.at('sli', 'events', key),
          hint: range ? `write ${range[0].replace(/[0-9a-z]+/, '{{ .window }}')} in place of ${range[0]}: each alert window substitutes its own range` : 'write the range as [{{ .window }}], e.g. sum(rate(requests_total[{{ .window }}])): each alert window substitutes its own',
        });
      }
    }
  },
};
