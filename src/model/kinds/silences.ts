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
    const startsAt = parseTime(s.startsAt);
    const endsAt = s.endsAt !== undefined ? parseTime(s.endsAt) : s.duration !== undefined ? startsAt + parseDuration(s.duration) : NaN;
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

/**
 * An RFC 3339 time (the schema checked its shape) in epoch milliseconds, NaN for a date that does not exist: Go, and so
 * Alertmanager, refuses February 30 where JavaScript's Date.parse would roll it over into March.
 */
export function parseTime(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(text);
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return NaN;
  return Date.parse(text);
}
