import type { AlertModel } from '../model/types.ts';
import type { Check } from './check.ts';

/** The annotation fields of an alert that Prometheus renders as Go templates, with their definition paths. */
export function alertTemplates(alert: AlertModel): { field: string; text: string; path: (string | number)[] }[] {
  const out: { field: string; text: string; path: (string | number)[] }[] = [];
  for (const field of ['summary', 'description', 'runbook'] as const) {
    const text = alert[field];
    if (text !== undefined) out.push({ field, text, path: [...alert.origin.path, field] });
  }
  for (const [key, text] of Object.entries(alert.annotations)) out.push({ field: key, text, path: [...alert.origin.path, 'annotations', key] });
  return out;
}

export const templateSyntaxCheck: Check = {
  id: 'template/syntax',
  description: 'Annotation templates are valid Prometheus (Go) templates: balanced actions and blocks, known functions and variables.',
  severity: 'error',
  run(ctx) {
    for (const group of ctx.model.groups) {
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
