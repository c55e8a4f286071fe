/**
 * A label set read and written by label name. Label names come from definitions, series and webhooks, and
 * `constructor`, `toString` or `__proto__` are valid ones: an index read would find Object.prototype's function for a
 * set without such a label, and an assignment of `__proto__` would try to change the object's prototype instead.
 */
export type LabelSet = Readonly<Record<string, string>>;

/** The set's own value of `name`; undefined when it has no such label (Prometheus and Alertmanager read that as ""). */
export const labelValue = (labels: LabelSet, name: string): string | undefined => (Object.hasOwn(labels, name) ? labels[name] : undefined);

/** Sets `name` to `value` as the set's own label, `__proto__` too. */
export function setLabel(labels: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  else labels[name] = value;
}
