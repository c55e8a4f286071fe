import type { SeverityModel } from '../model/types.ts';
import { parseDuration } from '../util/duration.ts';
import type { Check, Report } from './check.ts';

/** Below this, a repeating step pages its receivers so often that the pages drown the alert (a pager storm). */
const SHORTEST_CALM_REPEAT_MS = 60_000;

/**
 * What the relay would do wrongly, or refuse, with a severity's lifecycle settings: a confirmation that expires at
 * once (the alert reopens as soon as someone confirms it), a `repeat` on a step that is not the last (the relay repeats
 * only the last one, so it would be ignored), a `repeat` of 0s (relay.yml the relay refuses to read) and a `repeat`
 * under a minute (legal, but a page every few seconds). Durations Prometheus cannot read are duration/range's.
 */
export const severityEscalationCheck: Check = {
  id: 'severity/escalation',
  description: 'confirmExpiry is longer than 0s, only the last escalation step repeats, its repeat is at least 1m, and a level without severity label has no escalation.',
  severity: 'error',
  run(ctx) {
    for (const severity of ctx.model.severities) for (const problem of escalationProblems(severity)) ctx.report(problem);
  },
};

export function escalationProblems(severity: SeverityModel): Report[] {
  const problems: Report[] = [];
  const { def, path } = severity.origin;
  if (severity.confirmExpiry !== undefined && parseDuration(severity.confirmExpiry) === 0) {
    problems.push({
      message: `severity ${severity.name}: confirmExpiry ${severity.confirmExpiry} expires a confirmation the moment it is made, so the alert reopens at once`,
      span: def.locate([...path, 'confirmExpiry']),
      hint: 'give it a duration such as 30m, or remove confirmExpiry to keep a confirmation until the alert ends',
    });
  }
  if (severity.label === false && severity.escalation.length > 0) {
    // The relay finds an alert's escalation by its severity label, which alerts of this level do not carry.
    problems.push({
      severity: 'warning',
      message: `severity ${severity.name} has escalation steps, but its alerts carry no severity label (label: false), so the relay never escalates them`,
      span: def.locateKey([...path, 'escalation']),
      hint: 'remove label: false, or the escalation steps',
    });
  }
  const last = severity.escalation.length - 1;
  severity.escalation.forEach((step, i) => {
    if (step.repeat === undefined) return;
    const at = [...step.origin.path, 'repeat'];
    const span = step.origin.def.locate(at);
    const where = `severity ${severity.name}: escalation step ${i + 1} of ${last + 1}`;
    if (i !== last) {
      // The field, not its value, is what is wrong here.
      problems.push({
        message: `${where} repeats, but only the last step repeats: this repeat would never fire`,
        span: step.origin.def.locateKey(at),
        hint: `move repeat: ${step.repeat} to the last step (escalation[${last}]), or remove it`,
      });
      return;
    }
    const ms = parseDuration(step.repeat);
    if (ms === 0) {
      problems.push({ message: `${where} repeats every ${step.repeat}: the relay refuses a repeat of 0`, span, hint: 'repeat every 30m or so, or remove repeat to notify the last step once' });
    } else if (ms < SHORTEST_CALM_REPEAT_MS) {
      problems.push({
        severity: 'warning',
        message: `${where} repeats every ${step.repeat}: its receivers are paged more than once a minute until someone confirms`,
        span,
        hint: 'repeat every few minutes at least (such as 15m); a pager storm gets muted, not answered',
      });
    }
  });
  return problems;
}
