import { describe, expect, it } from 'vitest';
import { compileBase } from '../../test/helpers/model.ts';
import { alertRules, DEFAULT_LEVELS, leveledAlert, route, routes, severities, severityLevel, yamlOf } from '../../test/factories/index.ts';
import { artifactBytes, artifactSha256, sha256 } from '../build/manifest.ts';
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

  it('gives each level the receivers of its own alert when enabled and disabled alerts alternate in a group, and a disabled one none', async () => {
    const names = ['First', 'Off1', 'Second', 'Off2', 'Off3', 'Third'];
    const mixed = alertRules({ group: 'mixed', alerts: names.map((name) => leveledAlert({ name, ...(name.startsWith('Off') ? { enabled: false } : {}) })) });
    const result = await compileBase({ 'mixed.yaml': yamlOf(mixed) });
    const doc = result.artifacts.find((a) => a.path === ALERT_CATALOGUE_PATH)!.content;
    for (const name of names) {
      const section = doc.slice(doc.indexOf(`## ${name}\n`)).split('\n## ')[0]!;
      if (name.startsWith('Off')) {
        expect(section, name).toContain('| critical | `> 500` | 2m | — |');
        expect(section, name).toContain('| warning | `> 100` | 5m | — |');
      } else {
        expect(section, name).toContain('| critical | `> 500` | 2m | oncall, team |');
        expect(section, name).toContain('| warning | `> 100` | 5m | team |');
      }
    }
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
  it('sorts every alert by name across files (rows, then sections), and its bytes and digest are its text\'s', async () => {
    const file = (group: string, names: string[]) => yamlOf(alertRules({ group, alerts: names.map((name) => leveledAlert({ name, summary: `${name} ✓ 警报` })) }));
    const result = await compileBase({ 'z.yaml': file('gz', ['Zeta', 'Beta', 'Émile']), 'y.yaml': file('gy', ['Alpha', 'Delta']) });
    const artifact = result.artifacts.find((a) => a.path === ALERT_CATALOGUE_PATH)!;
    const doc = artifact.content;
    const order = ['Alpha', 'Beta', 'Delta', 'QueueDeep', 'Zeta', 'Émile'];
    const rows = order.map((name) => doc.indexOf(`| [${name}](#`));
    const sections = order.map((name) => doc.indexOf(`\n## ${name}\n`));
    expect(rows.every((at) => at > 0)).toBe(true);
    expect([...rows].sort((a, b) => a - b)).toEqual(rows);
    expect([...sections].sort((a, b) => a - b)).toEqual(sections);
    expect(sections[0]).toBeGreaterThan(rows.at(-1)!);
    expect(doc).toContain('> Émile ✓ 警报\n');
    expect(doc.endsWith('\n```\n') || doc.endsWith('|\n')).toBe(true);
    expect(artifactBytes(artifact).equals(Buffer.from(doc, 'utf8'))).toBe(true);
    expect(artifactSha256(artifact)).toBe(sha256(doc));
  });
});
