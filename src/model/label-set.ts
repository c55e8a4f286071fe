import { ownValue, setOwn } from '../util/own.ts';

/**
 * A label set read and written by label name. Label names come from definitions, series and webhooks, and
 * `constructor`, `toString` or `__proto__` are valid ones: an index read would find Object.prototype's function for a
 * set without such a label, and an assignment of `__proto__` would try to change the object's prototype instead.
 */
export type LabelSet = Readonly<Record<string, string>>;

/** The set's own value of `name`; undefined when it has no such label (Prometheus and Alertmanager read that as ""). */
export const labelValue: (labels: LabelSet, name: string) => string | undefined = ownValue;

/** Sets `name` to `value` as the set's own label, `__proto__` too. */
export const setLabel: (labels: Record<string, string>, name: string, value: string) => void = setOwn;
