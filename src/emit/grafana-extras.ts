/**
 * What a declarative dashboard states in Grafana's own JSON: `grafana:` on the dashboard, a row, a panel or a query
 * (a JSON Merge Patch over what Vigil builds), and panels given whole as `json:` (which keep their own gridPos).
 * Applied after Vigil's build and layout, so the definition has the last word on everything Vigil does not own.
 */
import { isJsonPanel } from '../model/kinds/dashboard.ts';
import type { DashboardSpec, PanelItem } from '../spec/types.gen.ts';
import { isPlainObject } from '../util/lookup.ts';
import { applyMergePatch } from '../util/merge-patch.ts';
import { setOwn } from '../util/own.ts';

type Json = Record<string, unknown>;

/**
 * Applies the extras to the built dashboard in place; whether there were any. The built panels are in the order the
 * emitter writes them: the top-level panels, then each row followed by its panels (nested in it when collapsed).
 */
export function applyGrafanaExtras(json: Json, spec: DashboardSpec): boolean {
  let applied = false;
  const top = Array.isArray(json.panels) ? json.panels : [];
  let next = 0;
  const onPanel = (built: unknown, p: PanelItem) => {
    if (isPlainObject(built)) applied = applyPanelExtras(built, p) || applied;
  };
  for (const p of spec.panels ?? []) onPanel(top[next++], p);
  for (const row of spec.rows ?? []) {
    const builtRow = top[next++];
    if (row.grafana && isPlainObject(builtRow)) {
      patchInPlace(builtRow, row.grafana);
      applied = true;
    }
    if (row.collapsed === true) {
      const nested = isPlainObject(builtRow) && Array.isArray(builtRow.panels) ? builtRow.panels : [];
      row.panels.forEach((p, i) => onPanel(nested[i], p));
    } else for (const p of row.panels) onPanel(top[next++], p);
  }
  if (spec.grafana) {
    patchInPlace(json, spec.grafana);
    applied = true;
  }
  return applied;
}

function applyPanelExtras(built: Json, p: PanelItem): boolean {
  if (isJsonPanel(p)) {
    if (!isPlainObject(p.json.gridPos)) return false;
    built.gridPos = structuredClone(p.json.gridPos);
    return true;
  }
  let applied = false;
  if (p.grafana) {
    patchInPlace(built, p.grafana);
    applied = true;
  }
  const targets = Array.isArray(built.targets) ? built.targets : [];
  p.queries.forEach((q, i) => {
    if (q.grafana && isPlainObject(targets[i])) {
      patchInPlace(targets[i], q.grafana);
      applied = true;
    }
  });
  return applied;
}

function patchInPlace(target: Json, patch: object): void {
  const patched = applyMergePatch(target, patch) as Json;
  for (const key of Object.keys(target)) delete target[key];
  // Not Object.assign: it would set the target's prototype from a `__proto__` key.
  for (const key of Object.keys(patched)) setOwn(target, key, patched[key]);
}
