/**
 * Vigil names receivers and time intervals `^[A-Za-z0-9][A-Za-z0-9_.-]*$` (they become file names, ids and metric
 * labels); Alertmanager takes any string, and prometheus-operator writes `namespace/config/name`. A name that does not
 * fit is renamed (`/` and other characters become `-`), uniquely, and the rename is reported and used by --verify.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX = 128;

export class Renames {
  /** Input name → Vigil name, for every name met (the same when it fits). */
  readonly map = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(private readonly fallback: string) {}

  /** Declares the input's names, those that fit first, so that a renamed one never takes an existing name. */
  declare(names: readonly string[]): void {
    for (const n of names) if (fits(n) && !this.map.has(n)) this.claim(n, n);
    for (const n of names) if (!this.map.has(n)) this.claim(n, this.unique(safe(n, this.fallback)));
  }

  /** The Vigil name of an input name (a name not declared is renamed the same way). */
  of(name: string): string {
    if (!this.map.has(name)) this.declare([name]);
    return this.map.get(name)!;
  }

  renamed(): [string, string][] {
    return [...this.map].filter(([from, to]) => from !== to);
  }

  private claim(from: string, to: string): void {
    this.map.set(from, to);
    this.used.add(to);
  }

  private unique(base: string): string {
    let name = base;
    for (let n = 2; this.used.has(name); n++) name = `${base.slice(0, MAX - String(n).length - 1)}-${n}`;
    return name;
  }
}

const fits = (name: string): boolean => name.length <= MAX && NAME.test(name);

/** `mynamespace/myamc/test` → `mynamespace-myamc-test`. */
export function safe(name: string, fallback: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX);
  return cleaned === '' ? fallback : cleaned;
}
