import type { Path } from '../load/definition.ts';

export interface StringVisit {
  text: string;
  /** Built only for the strings visited. */
  path(): Path;
  /** The string is a mapping key (its path ends with it), not a value. */
  isKey: boolean;
}

/**
 * Every string of a plain data tree (a definition's value) that `wants` picks, values and mapping keys, in document
 * order. Iterative (any depth), each object once (aliases), and paths are linked to their parent so that the rare
 * strings visited pay for theirs.
 */
export function walkStrings(root: unknown, wants: (text: string) => boolean, visit: (found: StringVisit) => void): void {
  interface Node {
    value: unknown;
    key?: string | number;
    parent?: Node;
  }
  const pathOf = (node: Node): Path => {
    const path: (string | number)[] = [];
    for (let n: Node | undefined = node; n?.parent; n = n.parent) path.push(n.key!);
    return path.reverse();
  };
  const stack: Node[] = [{ value: root }];
  const seen = new Set<object>();
  while (stack.length) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof node.key === 'string' && wants(node.key)) visit({ text: node.key, path: () => pathOf(node), isKey: true });
    if (typeof value === 'string') {
      if (wants(value)) visit({ text: value, path: () => pathOf(node), isKey: false });
    } else if (value !== null && typeof value === 'object' && !seen.has(value)) {
      seen.add(value);
      if (Array.isArray(value)) for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: node });
      else {
        const keys = Object.keys(value);
        for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (value as Record<string, unknown>)[keys[i]!], key: keys[i]!, parent: node });
      }
    }
  }
}
