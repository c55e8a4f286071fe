// The cold build's hot loops over alerts' levels and each file's lists were optimised on the first files and thrown
// away at the first list of another array kind (an empty `[]`, or one made by `map` in code that ran unoptimised):
// issue #12 §3. These lists now have one kind in every project the tests know.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdsPackedObjects } from '../../test/helpers/v8-shapes.ts';
import { FileScopes } from '../compile-scopes.ts';
import { loadDirectory, loadYamlSources } from '../load/index.ts';
import { validateDefinitions } from '../spec/validate.ts';
import { buildModel } from './build.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const CHECK_FIXTURES = path.join(ROOT, 'test/fixtures/checks');
const PROJECTS = ['examples/ml-platform', ...readdirSync(CHECK_FIXTURES).sort().map((d) => `test/fixtures/checks/${d}`)];

describe.each(PROJECTS)('%s', (dir) => {
  it("has every group's alerts and rules, every alert's levels and every file's lists as packed arrays of objects", async () => {
    const loaded = await loadDirectory(path.join(ROOT, dir));
    const typed = validateDefinitions(loaded.definitions).valid;
    const { model } = buildModel(typed);
    for (const group of model.groups) {
      expect(holdsPackedObjects(group.alerts), `${dir}: alerts of ${group.name}`).toBe(true);
      expect(holdsPackedObjects(group.rules), `${dir}: rules of ${group.name}`).toBe(true);
      for (const alert of group.alerts) expect(holdsPackedObjects(alert.levels), `${dir}: ${alert.name}`).toBe(true);
    }
    const scopes = new FileScopes(loaded, loaded.definitions, model, undefined, undefined);
    for (const f of scopes.files) {
      for (const list of [f.documents, f.groups, f.dashboards, f.expressions]) expect(holdsPackedObjects(list), f.file).toBe(true);
    }
  });
});

describe('levels of every form', () => {
  it.each([
    ['thresholds', 'thresholds: { critical: { op: ">", value: 0.9 }, warning: { op: ">", value: 0.5 } }', 2],
    ['one severity', 'severity: critical', 1],
    ['rules', 'rules: [{ severity: critical, expr: "up == 0" }, { severity: warning, expr: "up < 1" }]', 2],
    ['none', '', 0],
  ])('%s', (_, levels, count) => {
    const text = `apiVersion: vigil/v1\nkind: AlertRules\ngroup: g\nalerts:\n  - name: A\n    expr: up == 0\n${levels ? `    ${levels}\n` : ''}`;
    const loaded = loadYamlSources([{ file: 'a.yaml', text }]);
    const { model } = buildModel(validateDefinitions(loaded.definitions).valid);
    const alert = model.groups[0]!.alerts[0]!;
    expect(alert.levels).toHaveLength(count);
    expect(holdsPackedObjects(alert.levels)).toBe(true);
  });
});
