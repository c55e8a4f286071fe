/**
 * A label set read and written by label name. Label names come from definitions, series and webhooks, and
 * `constructor`, `toString` or `__proto__` are valid ones: an index read would find Object.prototype's function for a
 * set without such a label, and an assignment of `__proto__` would try to change the object's prototype instead.
 */
export type LabelSet = Readonly<Record<string, string>>;

/** The set's own value of `name`; undefined when it has no such label (Prometheus and Alertmanager read that as ""). */
export const labelValue = (labels: LabelSet, name: string): string | undefined => (Object.hasOwn(labels, name) ? labels[name] : undefined);

/**
 * `record[key] = value`, also for the key `__proto__` (a valid label and annotation name), which an assignment would
 * take as the object's prototype instead of a key of its own.
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/** Sets `name` to `value` as the set's own label, `__proto__` too. */
export const setLabel: (labels: Record<string, string>, name: string, value: string) => void = setOwn;
