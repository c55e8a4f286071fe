import type { SeveritiesSpec } from '../../spec/types.gen.ts';
import type { Model } from '../types.ts';
import { at, type KindMapper } from './mapper.ts';

export const mapSeverities: KindMapper = (def, { model }) => {
  if (model.severities.length > 0) return; // the second one is reported by project/singleton
  const s = def.value as SeveritiesSpec;
  s.levels.forEach((level, rank) =>
    model.severities.push({
      name: level.name,
      rank,
      groupWait: level.groupWait,
      groupInterval: level.groupInterval,
      repeatInterval: level.repeatInterval,
      ...(level.confirmExpiry === undefined ? {} : { confirmExpiry: level.confirmExpiry }),
      ...(level.label === false ? { label: false as const } : {}),
      escalation: (level.escalation ?? []).map((step, j) => ({
        after: step.after,
        receivers: step.receivers,
        ...(step.repeat === undefined ? {} : { repeat: step.repeat }),
        origin: at(def, ['levels', rank, 'escalation', j]),
      })),
      origin: at(def, ['levels', rank]),
    }),
  );
};

/**
 * Marks the levels whose severity says `label: false`, once every kind is mapped (Severities may come after the
 * alerts), so whoever makes an alert's labels reads the level alone.
 */
export function markLevelsWithoutSeverityLabel(model: Model): void {
  const unlabelled = new Set(model.severities.filter((s) => s.label === false).map((s) => s.name));
  if (unlabelled.size === 0) return;
  for (const group of model.groups) {
    for (const alert of group.alerts) {
      for (const level of alert.levels) if (unlabelled.has(level.severity)) level.withoutSeverityLabel = true;
    }
  }
}
