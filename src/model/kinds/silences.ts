import type { SilencesSpec } from '../../spec/types.gen.ts';
import { parseDuration } from '../../util/duration.ts';
import { parseMatcher } from '../matchers.ts';
import type { MatcherModel } from '../types.ts';
import { at, type KindMapper } from './mapper.ts';

/**
 * Each entry of a Silences definition, its window resolved to epoch milliseconds (endsAt, or startsAt + duration).
 * Nothing is reported here: the silence/* checks read the model, so a bad matcher or window is located there.
 */
export const mapSilences: KindMapper = (def, { model }) => {
  const spec = def.value as SilencesSpec;
  spec.silences.forEach((s, i) => {
    const matchers: MatcherModel[] = [];
    s.matchers.forEach((text, j) => {
      const parsed = parseMatcher(text);
      if (!('error' in parsed)) matchers.push({ ...parsed, text, origin: at(def, ['silences', i, 'matchers', j]) });
    });
    const startsAt = Date.parse(s.startsAt);
    const endsAt = s.endsAt !== undefined ? Date.parse(s.endsAt) : s.duration !== undefined ? startsAt + parseDuration(s.duration) : NaN;
    model.silences.push({
      name: s.name,
      matchers,
      written: [...s.matchers],
      startsAt,
      endsAt,
      given: { endsAt: s.endsAt !== undefined, duration: s.duration !== undefined },
      createdBy: s.createdBy,
      comment: s.comment,
      ...(s.environments ? { environments: [...s.environments] } : {}),
      origin: at(def, ['silences', i]),
    });
  });
};
