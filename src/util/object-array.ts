/**
 * An empty array that V8 already holds as an array of objects (elements kind PACKED_ELEMENTS), as `[]` only becomes
 * once an object is pushed. Lists that are empty in some files and hold objects in others (a file's alert groups,
 * dashboards, expressions) then all have one shape: a check's loop over them, optimised on the files read first, is
 * not thrown away and compiled again at the first file whose list is empty (issue #12 §3: the cold build's
 * deoptimisations). A copy of none of an object array's elements keeps that array's kind.
 */
export function objectArray<T extends object>(): T[] {
  return OBJECTS.slice(0, 0) as T[];
}

const OBJECTS: object[] = [{}];
