/**
 * Defaults filled in, overrides win: a shallow merge where an override of `undefined` removes the key, so a test can
 * drop an optional field (`project({ relay: undefined })`) as easily as it changes one. Nested mappings are replaced
 * whole: a test that states `thresholds` states all of them, and reads as the definition it builds.
 */
export type Overrides<T> = { [K in keyof T]?: T[K] | undefined } & Record<string, unknown>;

export function withDefaults<T extends object>(defaults: T, overrides: object = {}): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out as T;
}
