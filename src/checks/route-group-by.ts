import type { Definition, Path } from '../load/definition.ts';
import { formatPath } from '../spec/validate.ts';
import type { Check } from './check.ts';

/** Alertmanager 0.25's model.LabelName.IsValid. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Alertmanager's "group by every label", accepted only as the single value of group_by. */
const ALL_LABELS = '...';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every `groupBy` list of a Routes value with its path: the root's and each route's, at any depth. */
export function groupByLists(value: unknown): { path: Path; list: unknown[] }[] {
  const found: { path: Path; list: unknown[] }[] = [];
  const walk = (node: unknown, at: Path) => {
    if (!isObject(node)) return;
    if (Array.isArray(node.groupBy)) found.push({ path: [...at, 'groupBy'], list: node.groupBy });
    if (Array.isArray(node.routes)) node.routes.forEach((child, i) => walk(child, [...at, 'routes', i]));
  };
  walk(value, []);
  return found;
}

/** Why Alertmanager would reject `value` at position `index` of a group_by list, if it would. */
export function groupByProblem(list: readonly unknown[], index: number): { message: string; hint: string } | undefined {
  const value = list[index];
  if (typeof value !== 'string') return undefined; // the schema reports it
  if (value === ALL_LABELS) {
    return list.length === 1 ? undefined : { message: `"${ALL_LABELS}" (group by every label) cannot be combined with other labels`, hint: `write groupBy: ['${ALL_LABELS}'] alone, or list the labels without it` };
  }
  if (LABEL_NAME.test(value)) return undefined;
  return {
    message: `${JSON.stringify(value)} is not a label name Alertmanager accepts`,
    hint: `label names are letters, digits and _, not starting with a digit${/[-.]/.test(value) ? ` (${JSON.stringify(value.replace(/[^a-zA-Z0-9_]/g, '_'))}?)` : ''}; '${ALL_LABELS}' alone groups by every label`,
  };
}

/**
 * Each groupBy value must be one Alertmanager loads: a valid label name, or `...` as the only value. The schema
 * admits any string, and amtool would reject the whole alertmanager.yml; reported at the value, in the shared Routes
 * or in the Environment override that set it.
 */
export const routeGroupByCheck: Check = {
  id: 'route/group-by',
  description: "Every groupBy value is a label name Alertmanager accepts, or '...' alone (group by every label).",
  severity: 'error',
  run(ctx) {
    for (const def of (ctx.model.definitionsByKind.get('Routes') ?? []) as Definition[]) {
      for (const { path, list } of groupByLists(def.value)) {
        list.forEach((_, i) => {
          const problem = groupByProblem(list, i);
          if (problem) ctx.report({ message: `${formatPath([...path, i])}: ${problem.message}`, span: def.locate([...path, i]), hint: problem.hint });
        });
      }
    }
  },
};
