import type { LabelInference } from '../model/alert-labels.ts';
import type { Model } from '../model/types.ts';
import { levelRouting } from '../routing/levels.ts';
import { formatMatcher } from '../routing/matchers.ts';
import { severityRank } from '../model/severity-rank.ts';
import { mutedLevels } from './mutes.ts';

/** One alert level a silence mutes, with the receivers it would otherwise reach (the routing walk of the matrix). */
export interface MutedLevelReport {
  alert: string;
  level: string;
  /** `always`: every firing of the level; `some`: the series whose `dependsOn` labels match. */
  extent: 'always' | 'some';
  dependsOn: string[];
  receivers: string[];
}

export interface SilenceReport {
  name: string;
  startsAt: string;
  endsAt: string;
  /** Absent: every Environment. */
  environments?: string[];
  matchers: string[];
  mutes: MutedLevelReport[];
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What each silence mutes, for `vigil test` and docs/routing.md: every alert level its matchers can match (see
 * mutedLevels) with the receivers the routing tree would have sent it to. Silences are listed by name, with their
 * windows; nothing depends on the clock. A muted alert still inhibits others in Alertmanager: inhibition reads
 * every firing alert, silenced or not.
 */
export function silenceReports(model: Model, labels: Pick<LabelInference, 'ofLevel'>, silences = model.silences): SilenceReport[] {
  const routed = new Map(levelRouting(model).map((r) => [r.level, r.result.receivers]));
  const rank = severityRank(model);
  return [...silences]
    .sort((a, b) => compare(a.name, b.name))
    .map((s) => ({
      name: s.name,
      startsAt: new Date(s.startsAt).toISOString(),
      endsAt: new Date(s.endsAt).toISOString(),
      ...(s.environments ? { environments: [...s.environments].sort() } : {}),
      matchers: s.matchers.map(formatMatcher),
      mutes: mutedLevels(model, s, labels)
        .sort((a, b) => compare(a.alert.name, b.alert.name) || rank.compare(a.level.severity, b.level.severity))
        .map((m) => ({ alert: m.alert.name, level: m.level.severity, extent: m.extent, dependsOn: m.dependsOn, receivers: routed.get(m.level) ?? [] })),
    }));
}
