// Records keyed by names that come from definitions, series, webhooks and imported files: label and annotation
// names, JSON keys. `constructor`, `toString` or `__proto__` are valid ones: an index read finds Object.prototype's
// function for a record without that key, and an assignment of `__proto__` sets the object's prototype instead.

/**
 * `record[key] = value`, also for the key `__proto__` (a valid label, annotation and JSON key), which an assignment
 * would take as the object's prototype instead of a key of its own.
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/** `record[key]` if it is the record's own key (not `constructor` or `toString` found on its prototype), else undefined. */
export const ownValue = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);
