import type { LabelInference } from '../model/alert-labels.ts';
import { levelLabels } from '../model/level-labels.ts';
import { matches, type SimpleMatcher } from '../model/matchers.ts';
import type { AlertLevel, AlertModel, Model, SilenceModel } from '../model/types.ts';

/** One alert level a silence mutes: `always` when its fixed labels decide it, `some` when it depends on series labels. */
export interface MutedLevel {
  alert: AlertModel;
  level: AlertLevel;
  extent: 'always' | 'some';
  /** For `some`: the labels whose series values decide it (instance, job, …). */
  dependsOn: string[];
}

/**
 * Which alert levels a silence can mute, matching its matchers against each enabled level's labels as Alertmanager
 * receives them: the fixed ones (the rule's labels, alertname, severity, the Project's external labels) decide a
 * matcher; a label only the series carry (instance) has a value Vigil cannot know, so any value may match; a label no
 * series carries (the label set is known and lacks it) is empty, as in Alertmanager. A silence with no usable matcher
 * (all failed to parse: reported by silence/matcher) mutes nothing here.
 */
export function mutedLevels(model: Model, silence: SilenceModel, labels: Pick<LabelInference, 'ofLevel'>): MutedLevel[] {
  if (silence.matchers.length === 0 || silence.matchers.length !== silence.written.length) return [];
  const external = model.project?.externalLabels ?? {};
  const out: MutedLevel[] = [];
  for (const group of model.groups) {
    for (const alert of group.alerts) {
      if (!alert.enabled) continue;
      for (const level of alert.levels) {
        const fixed = { ...external, ...levelLabels(alert, level) };
        const carried = labels.ofLevel(alert, level);
        const verdict = decide(silence.matchers, fixed, (label) => carried.labels.has(label) || !carried.complete);
        if (verdict) out.push({ alert, level, ...verdict });
      }
    }
  }
  return out;
}

function decide(matchers: readonly SimpleMatcher[], fixed: Record<string, string>, mayCarry: (label: string) => boolean): Omit<MutedLevel, 'alert' | 'level'> | undefined {
  const dependsOn: string[] = [];
  for (const m of matchers) {
    if (Object.hasOwn(fixed, m.label)) {
      if (!matches(m, fixed)) return undefined;
    } else if (mayCarry(m.label)) {
      dependsOn.push(m.label);
    } else if (!matches(m, {})) return undefined;
  }
  return dependsOn.length ? { extent: 'some', dependsOn: [...new Set(dependsOn)].sort() } : { extent: 'always', dependsOn: [] };
}
