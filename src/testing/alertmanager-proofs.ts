import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ALERTMANAGER_CONFIG_PATH, ALERTMANAGER_TEMPLATES_DIR } from '../build/paths.ts';
import type { Artifact } from '../emit/artifact.ts';
import type { Model } from '../model/types.ts';
import { checkInhibitions, type InhibitionReport } from './inhibition-live.ts';
import { proveRoutingWithAmtool, type RoutingProof } from './routing-proof.ts';

export interface AlertmanagerProofs {
  routing: RoutingProof;
  /** Only with `vigil test --live`. */
  inhibition?: InhibitionReport;
}

/**
 * The Alertmanager half of `vigil test`: the routing matrix proved row by row with the real amtool, and with --live
 * the inhibitions proved on a throwaway real Alertmanager — both on the configuration this build emits.
 */
export async function proveAlertmanager(model: Model, artifacts: readonly Artifact[], live: boolean): Promise<AlertmanagerProofs> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-am-'));
  try {
    for (const a of artifacts.filter((x) => x.path === ALERTMANAGER_CONFIG_PATH || x.path.startsWith(ALERTMANAGER_TEMPLATES_DIR))) {
      const target = path.join(dir, a.path);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, a.content);
    }
    const configDir = path.join(dir, path.dirname(ALERTMANAGER_CONFIG_PATH));
    const routing = await proveRoutingWithAmtool(model, path.join(dir, ALERTMANAGER_CONFIG_PATH));
    const inhibition = live ? await checkInhibitions(model, configDir) : undefined;
    return { routing, ...(inhibition ? { inhibition } : {}) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Lines for people, and whether everything held. */
export function describeProofs(p: AlertmanagerProofs): { ok: boolean; summary: string[]; failures: string[] } {
  const failures: string[] = [];
  const summary: string[] = [];
  if (p.routing.error) failures.push(`routing: ${p.routing.error}`);
  const disagree = p.routing.rows.filter((r) => !r.agree);
  for (const r of disagree) {
    failures.push(`routing: ${r.alert} at ${r.level}: Vigil routes to [${r.vigil.join(', ')}], amtool to [${r.amtool.join(', ')}]${r.error ? ` (${r.error.trim()})` : ''}`);
  }
  summary.push(`routing      ${p.routing.rows.length - disagree.length}/${p.routing.rows.length} alert levels agree with amtool${p.routing.error ? ' (not proved)' : ''}`);
  if (p.inhibition) {
    if (p.inhibition.error) failures.push(`inhibition: ${p.inhibition.error}`);
    const bad = p.inhibition.results.filter((r) => !r.ok);
    for (const r of bad) failures.push(`inhibition: ${r.description}: expected ${r.expected ? 'inhibited' : 'not inhibited'}, Alertmanager says ${r.inhibited === undefined ? 'nothing' : r.inhibited ? 'inhibited' : 'not inhibited'}${r.error ? ` (${r.error})` : ''}`);
    summary.push(`inhibition   ${p.inhibition.results.length - bad.length}/${p.inhibition.results.length} checks hold on a live Alertmanager${p.inhibition.alertmanager?.version ? ` ${p.inhibition.alertmanager.version}` : ''}`);
  }
  return { ok: failures.length === 0, summary, failures };
}
