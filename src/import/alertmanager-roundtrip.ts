/**
 * The whole of --verify once the imported definitions are built: the routing decisions, inhibit rules, time intervals
 * and receivers compared (alertmanager-verify.ts), the same label sets through the real amtool on both files, and
 * `amtool check-config` on the built one. Shared by the command and the corpus test.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { ALERTMANAGER_CONFIG_PATH } from '../build/paths.ts';
import { amtoolAvailable, amtoolCheck, compareWithAmtool } from './alertmanager-amtool.ts';
import { compareAlertmanager, labelSetsOf, type AlertmanagerRoundTrip } from './alertmanager-verify.ts';
import type { AlertmanagerImport } from './import-alertmanager.ts';

export interface AlertmanagerVerification extends AlertmanagerRoundTrip {
  /** Whether amtool took part (routes test on both files, check-config on the built one). */
  amtool: boolean;
}

export async function verifyImportedAlertmanager(imported: AlertmanagerImport, artifacts: readonly { path: string; content: string }[], useAmtool = amtoolAvailable()): Promise<AlertmanagerVerification> {
  const input = imported.source!.config;
  const builtArtifact = artifacts.find((a) => a.path === ALERTMANAGER_CONFIG_PATH);
  if (!builtArtifact) return { differences: [`the build wrote no ${ALERTMANAGER_CONFIG_PATH}`], compared: { labelSets: 0, inhibitRules: 0, timeIntervals: 0, receivers: 0 }, amtool: false };
  const built = parse(builtArtifact.content) as Record<string, unknown>;
  const labelSets = labelSetsOf(input.route);
  const trip = compareAlertmanager(input, built, imported.renamed, labelSets);
  if (!useAmtool) return { ...trip, amtool: false };

  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-import-am-'));
  try {
    // The input as Alertmanager reads it (a Secret's alertmanager.yaml unwrapped), and the build with its templates.
    const inputFile = path.join(dir, 'input', 'alertmanager.yml');
    await mkdir(path.dirname(inputFile), { recursive: true });
    await writeFile(inputFile, stringify(input, { lineWidth: 0 }));
    for (const a of artifacts.filter((a) => a.path.startsWith('alertmanager/'))) {
      await mkdir(path.dirname(path.join(dir, 'built', a.path)), { recursive: true });
      await writeFile(path.join(dir, 'built', a.path), a.content);
    }
    const builtFile = path.join(dir, 'built', ALERTMANAGER_CONFIG_PATH);
    const check = await amtoolCheck(builtFile, path.dirname(builtFile));
    const differences = [...trip.differences];
    if (!check.ok) differences.push(`amtool check-config refuses the built alertmanager.yml: ${lastLines(check.output)}`);
    // An input amtool cannot load would fail every label set alike: said once instead.
    const inputCheck = await amtoolCheck(inputFile, path.dirname(inputFile));
    if (!inputCheck.ok) differences.push(`amtool check-config refuses the input itself, so amtool cannot route through it: ${lastLines(inputCheck.output)}`);
    else {
      const receiver = (name: string) => imported.renamed.receivers.get(name) ?? name;
      differences.push(...(await compareWithAmtool(inputFile, builtFile, labelSets, receiver)));
    }
    return { ...trip, differences, amtool: true };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const lastLines = (output: string): string =>
  output
    .trim()
    .split('\n')
    .slice(-3)
    .map((l) => l.trim())
    .join(' ');
