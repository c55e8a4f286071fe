/**
 * JSON Merge Patch (RFC 7386): how a Dashboard definition states the Grafana JSON Vigil does not model. An object
 * merges key by key, `null` removes a key, anything else (arrays included) replaces. `mergePatchBetween` finds the
 * patch that turns one document into another, where one exists.
 */
import { isPlainObject } from './lookup.ts';
import { ownValue, setOwn } from './own.ts';

type Json = Record<string, unknown>;

/** `target` with `patch` applied; neither is changed. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Json = isPlainObject(target) ? structuredClone(target) : {};
  // Own keys only, `__proto__` too: a key of the patch is a key of the document (RFC 7386), never its prototype.
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else setOwn(out, key, applyMergePatch(ownValue(out, key), value));
  }
  return out;
}

/**
 * The smallest patch with `applyMergePatch(from, patch)` deep-equal to `to`, or undefined when none exists: a merge
 * patch cannot write a null into an object (null means "remove"), so such a `to` is out of its reach.
 */
export function mergePatchBetween(from: Json, to: Json): { patch: Json } | undefined {
  const patch: Json = {};
  for (const key of Object.keys(from)) if (!Object.hasOwn(to, key) && from[key] !== undefined) setOwn<unknown>(patch, key, null);
  for (const [key, value] of Object.entries(to)) {
    const was = ownValue(from, key);
    if (value === undefined || deepEqual(was, value)) continue;
    if (isPlainObject(value) && isPlainObject(was)) {
      const inner = mergePatchBetween(was, value);
      if (!inner) return undefined;
      setOwn<unknown>(patch, key, inner.patch);
      continue;
    }
    if (!reachable(value)) return undefined;
    setOwn<unknown>(patch, key, value);
  }
  return { patch };
}

/** Whether a patch can write this value: no null in it, except inside arrays (which a patch writes as they are). */
function reachable(value: unknown): boolean {
  if (value === null) return false;
  if (isPlainObject(value)) return Object.values(value).every(reachable);
  return true;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], ownValue(b, k)));
  }
  return false;
}
