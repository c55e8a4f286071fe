import path from 'node:path';

/**
 * Whether `target` is `folder` or a path inside it, by the paths' text (both absolute, resolved the same way): a
 * sibling whose name only starts with the folder's (`/a/b-c` beside `/a/b`) is not inside.
 */
export function isWithin(target: string, folder: string): boolean {
  return target === folder || target.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);
}
