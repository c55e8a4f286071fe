import type { Path } from '../load/definition.ts';

export interface StringVisit {
  text: string;
  /** Built only for the strings visited. */
  path(): Path;
  /** The string is a mapping key (its path ends with it), not a value. */
  isKey: boolean;
}

/** An object on the way down: its key in its parent, linked to the parent (the root has neither). */
interface Parent {
  key: string | number | undefined;
  parent: Parent | undefined;
}

function pathTo(node: Parent, last: string | number): Path {
  const path: (string | number)[] = [last];
  for (let n: Parent | undefined = node; n?.parent; n = n.parent) path.push(n.key!);
  return path.reverse();
}

/** A visit, its path made when asked; made apart from the walk's loop, whose variables a closure would otherwise keep. */
function found(text: string, link: Parent, key: string | number, isKey: boolean): StringVisit {
  return { text, path: () => pathTo(link, key), isKey };
}

/**
 * Every string of a plain data tree (a definition's value) that `wants` picks, values and mapping keys, in document
 * order (each key before its value). Iterative (any depth), each object once (aliases), and paths are linked to their
 * parent so that the rare strings visited pay for theirs. Only the objects of the tree get a record on the way down,
 * not every value: the secret checks walk each of a project's strings (10,000 alerts: ≈ 400,000 of them).
 */
export function walkStrings(root: unknown, wants: (text: string) => boolean, visit: (found: StringVisit) => void): void {
  if (typeof root === 'string') {
    if (wants(root)) visit({ text: root, path: () => [], isKey: false });
    return;
  }
  if (root === null || typeof root !== 'object') return;
  const seen = new Set<object>([root]);
  // The objects being walked, each with its keys (undefined for an array), the next index and its link.
  const objects: object[] = [root];
  const keyLists: (string[] | undefined)[] = [Array.isArray(root) ? undefined : Object.keys(root)];
  const next: number[] = [0];
  const links: Parent[] = [{ key: undefined, parent: undefined }];
  let top = 0;
  while (top >= 0) {
    const object = objects[top]!;
    const keys = keyLists[top];
    const i = next[top]!;
    if (i >= (keys ? keys.length : (object as unknown[]).length)) {
      objects.pop();
      keyLists.pop();
      next.pop();
      links.pop();
      top--;
      continue;
    }
    next[top] = i + 1;
    const link = links[top]!;
    let key: string | number;
    let child: unknown;
    if (keys) {
      key = keys[i]!;
      child = (object as Record<string, unknown>)[key];
      if (wants(key)) visit(found(key, link, key, true));
    } else {
      key = i;
      child = (object as unknown[])[i];
    }
    if (typeof child === 'string') {
      if (wants(child)) visit(found(child, link, key, false));
    } else if (child !== null && typeof child === 'object' && !seen.has(child)) {
      seen.add(child);
      objects.push(child);
      keyLists.push(Array.isArray(child) ? undefined : Object.keys(child));
      next.push(0);
      links.push({ key, parent: link });
      top++;
    }
  }
}

/**
 * Whether a secret check may want the text: secret/literal looks at strings with a colon (a scheme, user-info) or a
 * path, secret/placeholder at those with `${`. Each check then applies its own, narrower test to these.
 */
function mayConcernSecrets(text: string): boolean {
  return text.includes(':') || text.includes('${') || text.startsWith('/');
}

const secretStrings = new WeakMap<object, readonly StringVisit[]>();

/**
 * The strings of a definition's value that the secret checks may look at (see mayConcernSecrets), values and keys in
 * walkStrings' order: walked once per value, not once per check (a project's values are not changed once loaded).
 */
export function stringsForSecretChecks(root: unknown): readonly StringVisit[] {
  const cached = root !== null && typeof root === 'object' ? secretStrings.get(root) : undefined;
  if (cached) return cached;
  const found: StringVisit[] = [];
  walkStrings(root, mayConcernSecrets, (visit) => found.push(visit));
  if (root !== null && typeof root === 'object') secretStrings.set(root, found);
  return found;
}
