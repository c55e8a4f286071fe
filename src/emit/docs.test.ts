import { describe, expect, it } from 'vitest';
import { compileBase } from '../../test/helpers/model.ts';
import { alertRules, DEFAULT_LEVELS, route, routes, severities, severityLevel, yamlOf } from '../../test/factories/index.ts';
import { ALERT_CATALOGUE_PATH } from './docs.ts';

describe('alert catalogue', () => {
  it('lists every alert with its levels, thresholds and the receivers each level reaches', async () => {
    const result = await compileBase();
    const doc = result.artifacts.find((a) => a.path === ALERT_CATALOGUE_PATH)!.content;
    expect(doc).toContain('2 alerts, 3 alert levels.');
    expect(doc).toContain('| [QueueDeep](#queuedeep) | app | critical, warning | app |  |');
    expect(doc).toContain('| critical | `> 500` | 2m | oncall, team |');
    expect(doc).toContain('| warning | `> 100` | 5m | team |');
    expect(doc).toContain('| critical | expression | 1m | oncall, team |');
    expect(doc).toContain('- Runbook: <https://runbooks.example.com/queue-deep>');
  });

  it('shows each level of an alert with `rules:`: its own expression, `for` and labels, and a level without a severity label', async () => {
    const withNote = severities({ levels: [...DEFAULT_LEVELS, severityLevel('note', { label: false })] });
    const burn = alertRules({
      group: 'burn',
      alerts: [
        {
          name: 'QueueBurn',
          summary: 'burn',
          rules: [
            { severity: 'critical', expr: 'max by (service) (queue_depth) > 500', for: '2m', labels: { page: 'yes' } },
            { severity: 'note', expr: 'max by (service) (queue_depth) > 100', labels: { notice: 'board' } },
          ],
        },
      ],
    });
    // Without a severity label, the note level is routed by its own label.
    const byNotice = routes({ routes: [...routes().routes!, route({ matchers: ['notice="board"'], receiver: 'team' })] });
    const result = await compileBase({ 'severities.yaml': yamlOf(withNote), 'burn.yaml': yamlOf(burn), 'routes.yaml': yamlOf(byNotice) });
    const doc = result.artifacts.find((a) => a.path === ALERT_CATALOGUE_PATH)!.content;
    const section = doc.slice(doc.indexOf('## QueueBurn'));
    expect(section).toContain('| Level | For | Labels of the level | Receivers |');
    expect(section).toMatch(/\| critical \| 2m \| `page=yes` \| [^|]+ \|/);
    expect(section).toContain('| note | 0s | `notice=board`, no severity label | team |');
    expect(section).toContain('Level `critical`:\n\n```promql\nmax by (service) (queue_depth) > 500\n```');
    expect(section).toContain('Level `note`:\n\n```promql\nmax by (service) (queue_depth) > 100\n```');
  });
});
