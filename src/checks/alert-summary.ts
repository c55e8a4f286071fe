import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

export const alertSummaryCheck: Check = {
  id: 'alert/summary',
  description: 'Every alert has a summary for the notification title, and a runbook.',
  severity: 'error',
  run() {},
  // Each alert on its own: per file.
  perFile(ctx, file) {
    for (const group of file.groups) {
      for (const alert of group.alerts) {
        if (alert.summary === undefined || alert.summary.trim() === '') {
          ctx.report({
            message: `alert ${alert.name} has no summary`,
            span: spanOf(alert.origin, 'name'),
            hint: 'add `summary:` — the one line a person reads in the notification, e.g. "Disk {{ $labels.mountpoint }} is {{ $value | humanizePercentage }} full"',
          });
        }
        if (alert.runbook === undefined) {
          ctx.report({
            severity: 'warning',
            message: `alert ${alert.name} has no runbook`,
            span: spanOf(alert.origin, 'name'),
            hint: 'add `runbook:` with a URL that says what to do when it fires',
          });
        }
      }
    }
  },
};
