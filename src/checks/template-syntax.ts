import type { AlertLevel, AlertModel } from '../model/types.ts';
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

/** The annotation fields of an alert (and of its levels) that Prometheus renders as Go templates, with their definition paths. */
export function alertTemplates(alert: AlertModel): AlertTemplate[] {
  const out: AlertTemplate[] = [];
  for (const field of ['summary', 'description', 'runbook'] as const) {
    const text = alert[field];
    if (text !== undefined) out.push(new Template(field, text, alert.origin.path, field, false));
  }
  for (const [key, text] of Object.entries(alert.annotations)) out.push(new Template(key, text, alert.origin.path, key, true));
  for (const level of alert.levels) {
    for (const [key, text] of Object.entries(level.annotations ?? {})) out.push(new Template(`${level.severity} ${key}`, text, level.origin.path, key, true, level));
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
      for (const alert of group.alerts) {
        for (const t of alertTemplates(alert)) {
          for (const p of ctx.templates(t.text).problems) {
            ctx.report({ message: `alert ${alert.name}, ${t.field}: ${p.message}`, span: alert.origin.def.locateInString(t.path, p.start, p.end), hint: p.hint });
          }
        }
      }
    }
  },
};
