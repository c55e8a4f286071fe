/**
 * V8's view of a value's shape, for the tests of code written so that hot loops meet one shape (issue #12 §3: a
 * second array kind or a second function where optimised code expected one throws that code away). Natives syntax is
 * turned on for the functions compiled here only; it changes nothing else in the process.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--allow-natives-syntax');

/** Whether V8 holds `array` as a packed array of any values (PACKED_ELEMENTS), the kind an array of objects has. */
export const holdsPackedObjects = new Function('a', 'return %HasObjectElements(a) && !%HasHoleyElements(a)') as (array: unknown[]) => boolean;

/** Whether two objects have the same hidden class (map). */
export const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
