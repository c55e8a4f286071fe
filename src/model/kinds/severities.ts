import type { SeveritiesSpec } from '../../spec/types.gen.ts';
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
