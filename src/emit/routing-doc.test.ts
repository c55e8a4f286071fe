import { describe, expect, it } from 'vitest';
import { compile } from '../compile.ts';
import { loadYamlSources } from '../load/index.ts';
import { baseFile } from '../../test/helpers/model.ts';
import { alertRules, leveledAlert, route, routes, singleAlert, yamlOf } from '../../test/factories/index.ts';
import { ROUTING_DOC_PATH } from './routing-doc.ts';

const BASE_FILES = ['alerts.yaml', 'dashboard.yaml', 'metrics.yaml', 'project.yaml', 'receivers.yaml', 'recording.yaml', 'routes.yaml', 'severities.yaml'];

/** The base fixture project with some files replaced, compiled and emitted even when checks report errors. */
async function compileWith(replace: Record<string, string> = {}, reverse = false) {
  const sources = await Promise.all(BASE_FILES.map(async (file) => ({ file, text: replace[file] ?? (await baseFile(file)) })));
  const result = compile(loadYamlSources(reverse ? sources.reverse() : sources), { emitOnError: true });
  const doc = result.artifacts.find((a) => a.path === ROUTING_DOC_PATH)!;
  return { result, doc, rows: doc.content.split('\n').filter((l) => /^\| [A-Z]/.test(l) && !l.startsWith('| Alert |')) };
}

describe('routing matrix (docs/routing.md)', () => {
  it('lists every enabled alert level with its labels, receivers in order and route path', async () => {
    const { result, doc, rows } = await compileWith();
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(rows).toEqual([
      '| QueueDeep | critical | — | oncall, team | `severity="critical"` |  |',
      '| QueueDeep | warning | — | team | `severity="warning"` |  |',
      '| TargetDown | critical | — | oncall, team | `severity="critical"` |  |',
    ]);
    expect(doc.content).toContain('Root (default) receiver: `team`. 0 alert levels reach only the root receiver.');
    expect(doc.content).toContain('\n  - 1 `severity="critical"` → `oncall`, `team`\n');
    expect(doc.content).toContain('None: every alert level reaches a receiver through a route made for it.');
  });

  it('flags levels that reach only the root receiver and says when defaultOk made that intended', async () => {
    const appRoutes = routes({
      groupBy: undefined,
      routes: [
        route({ matchers: ['severity="critical"', 'team=~"app|db"'], receiver: undefined, receivers: ['oncall'], continue: true }),
        { matchers: ['team="app"'], defaultOk: true, routes: [route({ receiver: undefined, receivers: ['team'] })] },
      ],
    });
    const withQuiet = alertRules({
      alerts: [
        leveledAlert({ dashboard: 'app' }),
        singleAlert(),
        singleAlert({ name: 'Quiet', severity: 'info', for: undefined, summary: 'quiet', runbook: 'https://runbooks.example.com/quiet', labels: { team: 'other' } }),
        singleAlert({ name: 'Off', severity: 'info', for: undefined, summary: 'off', runbook: 'https://runbooks.example.com/off', enabled: false }),
      ],
    });
    const { result, doc, rows } = await compileWith({ 'routes.yaml': yamlOf(appRoutes), 'alerts.yaml': yamlOf(withQuiet) });
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['route/unreachable-severity']);
    expect(rows).toEqual([
      // two routes deliver: each path with its receivers; the regex pipe is escaped for the table
      '| QueueDeep | critical | `team="app"` | oncall, team | `severity="critical"`, `team=~"app\\|db"` → oncall<br>`team="app"` › `severity="critical"` → team |  |',
      '| QueueDeep | warning | `team="app"` | team | `team="app"` | yes (defaultOk) |',
      '| Quiet | info | `team="other"` | team | (root) | **yes** |',
      '| TargetDown | critical | `team="app"` | oncall, team | `severity="critical"`, `team=~"app\\|db"` → oncall<br>`team="app"` › `severity="critical"` → team |  |',
    ]);
    expect(doc.content).toContain('2 alert levels reach only the root receiver, 1 of them intended (`defaultOk`).');
    expect(doc.content).toContain('- QueueDeep at warning: intended, a matching route says `defaultOk`.');
    expect(doc.content).toContain('- Quiet at info: **not intended** — only `team` gets it (see `route/unreachable-severity`).');
    expect(doc.content).toContain('\n  - 1 `severity="critical"`, `team=~"app|db"` → `oncall` (continue)\n  - 2 `team="app"` → (inherits) (defaultOk)\n    - 2.1 `severity="critical"` → `team`\n');
    expect(doc.content).not.toContain('| Off |');
  });

  it('is byte-identical whatever the order of the definition files, and names its sources', async () => {
    const a = (await compileWith()).doc;
    const b = (await compileWith({}, true)).doc;
    expect(a.content).toBe(b.content);
    expect(a.sources).toEqual(['alerts.yaml', 'routes.yaml', 'severities.yaml']);
  });

  it('says so when there are no routes', async () => {
    const { doc } = await compileWith({ 'routes.yaml': 'apiVersion: vigil/v1\nkind: Receivers\nreceivers: []\n' });
    expect(doc.content).toContain('No Routes definition');
  });
});
