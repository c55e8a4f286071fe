import type { AlertLevel, AlertModel, RuleGroupModel } from '../model/types.ts';
import type { Check } from './check.ts';

export interface AlertTemplate {
  field: string;
  text: string;
  /** Where the text is written: made when asked (a problem to report), not for each of a project's templates. */
  readonly path: (string | number)[];
  /** Set for the annotations of one level of `rules:`: only that level's rule renders them. */
  level?: AlertLevel;
}

/** A template at `base` + `key`, or at `base` + `annotations` + `key`. */
class Template implements AlertTemplate {
  constructor(
    readonly field: string,
    readonly text: string,
    private readonly base: readonly (string | number)[],
    private readonly key: string,
    private readonly annotation: boolean,
    readonly level?: AlertLevel,
  ) {}

  get path(): (string | number)[] {
    return this.annotation ? [...this.base, 'annotations', this.key] : [...this.base, this.key];
  }
}

const TOP_FIELDS = ['summary', 'description', 'runbook'] as const;

/**
 * The templates of each alert of a group, listed once (index by index with `group.alerts`): template/syntax and
 * template/label read the same lists, and a model's groups are not changed once built. Kept per group, not per alert:
 * a project of 10,000 alerts has a few hundred groups.
 */
const templatesOf = new WeakMap<RuleGroupModel, readonly (readonly AlertTemplate[])[]>();

export function groupTemplates(group: RuleGroupModel): readonly (readonly AlertTemplate[])[] {
  let lists = templatesOf.get(group);
  if (!lists) templatesOf.set(group, (lists = group.alerts.map(alertTemplates)));
  return lists;
}

/** The annotation fields of an alert (and of its levels) that Prometheus renders as Go templates, with their definition paths. */
function alertTemplates(alert: AlertModel): AlertTemplate[] {
  const out: AlertTemplate[] = [];
  const base = alert.origin.path;
  for (let i = 0; i < TOP_FIELDS.length; i++) {
    const field = TOP_FIELDS[i]!;
    const text = alert[field];
    if (text !== undefined) out.push(new Template(field, text, base, field, false));
  }
  const annotations = alert.annotations;
  const keys = Object.keys(annotations);
  for (let i = 0; i < keys.length; i++) out.push(new Template(keys[i]!, annotations[keys[i]!]!, base, keys[i]!, true));
  for (const level of alert.levels) {
    const own = level.annotations;
    if (!own) continue;
    const ownKeys = Object.keys(own);
    for (let i = 0; i < ownKeys.length; i++) {
      const key = ownKeys[i]!;
      out.push(new Template(`${level.severity} ${key}`, own[key]!, level.origin.path, key, true, level));
    }
  }
  return out;
}

export const templateSyntaxCheck: Check = {
  id: 'template/syntax',
  description: 'Annotation templates are valid Prometheus (Go) templates: balanced actions and blocks, known functions and variables.',
  severity: 'error',
  run() {},
  // Each alert on its own: per file.
  perFile(ctx, file) {
    for (const group of file.groups) {
      const lists = groupTemplates(group);
      for (let i = 0; i < group.alerts.length; i++) {
        const alert = group.alerts[i]!;
        for (const t of lists[i]!) {
          for (const p of ctx.templates(t.text).problems) {
            ctx.report({ message: `alert ${alert.name}, ${t.field}: ${p.message}`, span: alert.origin.def.locateInString(t.path, p.start, p.end), hint: p.hint });
          }
        }
      }
    }
  },
};
