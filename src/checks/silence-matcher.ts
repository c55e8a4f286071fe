import { matches, parseMatcher } from '../model/matchers.ts';
import { keySpanOf, spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

/**
 * Each matcher parses as Alertmanager 0.25 reads it (the Routes parser: operators, quoting, RE2 regexes), and, as
 * Alertmanager's API requires of a silence, at least one matcher does not match the empty string (else it would mute
 * every alert that lacks the label, and Alertmanager refuses it).
 */
export const silenceMatcherCheck: Check = {
  id: 'silence/matcher',
  description: 'Silence matchers parse as Alertmanager reads them, and at least one does not match the empty string.',
  severity: 'error',
  run(ctx) {
    for (const silence of ctx.model.silences) {
      silence.written.forEach((text, i) => {
        const parsed = parseMatcher(text);
        if (!('error' in parsed)) return;
        const path = [...silence.origin.path, 'matchers', i];
        ctx.report({
          message: parsed.error,
          span: parsed.start === undefined ? spanOf(silence.origin, 'matchers', i) : silence.origin.def.locateInString(path, parsed.start, parsed.end ?? parsed.start + 1),
          hint: parsed.hint ?? 'matchers look like instance="gpu-3:9400", alertname=~"Gpu.+" or job!="test"',
        });
      });
      if (silence.matchers.length === silence.written.length && silence.matchers.every((m) => matches(m, {}))) {
        ctx.report({
          message: `silence "${silence.name}": every matcher matches the empty string, so Alertmanager refuses it (it would mute every alert without those labels)`,
          span: keySpanOf(silence.origin, 'matchers'),
          hint: 'add a matcher that needs a value, such as instance="gpu-3:9400" or alertname=~"Gpu.+"',
        });
      }
    }
  },
};
