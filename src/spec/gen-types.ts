import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { compile } from 'json-schema-to-typescript';
import { KINDS, SCHEMA_DIR } from './kinds.ts';

/** Renders src/spec/types.gen.ts from the JSON Schemas, which stay the single source of the shape. */
export async function renderSpecTypes(): Promise<string> {
  const parts: string[] = [
    '/* eslint-disable */',
    '// Generated from src/spec/schemas/*.schema.json by `npm run gen:types`. Do not edit by hand;',
    '// test/spec/types-in-sync.test.ts fails when this file is stale.',
    '',
  ];
  for (const kind of KINDS) {
    const schema = JSON.parse(await readFile(path.join(SCHEMA_DIR, kind.schemaFile), 'utf8'));
    schema.title = `${kind.kind}Spec`;
    const ts = await compile(branchesAsUnion(schema) as typeof schema, `${kind.kind}Spec`, {
      bannerComment: '',
      cwd: SCHEMA_DIR,
      additionalProperties: false,
      declareExternallyReferenced: true,
      style: { singleQuote: true, printWidth: 120 },
    });
    parts.push(ts.trim(), '');
  }
  return dedupeDeclarations(parts.join('\n'));
}

/**
 * A schema that picks its branch with if/then/else (so a validation error names the branch's own fields, not every
 * alternative's) between two definitions has the type of either: json-schema-to-typescript ignores `if`, so it is
 * given the union of the two.
 */
function branchesAsUnion(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(branchesAsUnion);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = branchesAsUnion(value);
  const isRef = (v: unknown) => v !== null && typeof v === 'object' && Object.keys(v).join() === '$ref';
  if ('if' in out && isRef(out.then) && isRef(out.else)) {
    const { if: _if, then, else: otherwise, ...rest } = out;
    return { ...rest, anyOf: [then, otherwise] };
  }
  return out;
}

/** Shared definitions (SecretRef, Labels…) are emitted once per kind; keep the first declaration of each name. */
function dedupeDeclarations(source: string): string {
  const seen = new Set<string>();
  const out: string[] = [];
  const blocks = source.split(/\n(?=export )/);
  for (const block of blocks) {
    const name = /^export (?:interface|type) (\w+)/.exec(block)?.[1];
    if (name) {
      if (seen.has(name)) continue;
      seen.add(name);
    }
    out.push(block);
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
