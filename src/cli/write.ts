import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Artifact } from '../emit/artifact.ts';
import { MANIFEST_PATH } from '../compile.ts';

export interface WriteSummary {
  written: string[];
  unchanged: string[];
  removed: string[];
  /** Files under the output directory that Vigil did not generate and therefore left alone. */
  foreign: string[];
}

/** Writes each changed file through a temporary file + rename, so a reader never sees half a file. */
export async function writeArtifacts(outDir: string, artifacts: readonly Artifact[]): Promise<WriteSummary> {
  const summary: WriteSummary = { written: [], unchanged: [], removed: [], foreign: [] };
  const previous = await previousManifestFiles(outDir);
  const next = new Set(artifacts.map((a) => a.path));
  for (const artifact of artifacts) {
    const target = path.join(outDir, artifact.path);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current === artifact.content) {
      summary.unchanged.push(artifact.path);
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.vigil-${process.pid}.tmp`;
    await writeFile(temp, artifact.content);
    await rename(temp, target);
    summary.written.push(artifact.path);
  }
  for (const file of await listFiles(outDir)) {
    if (next.has(file)) continue;
    if (previous.has(file)) {
      await rm(path.join(outDir, file), { force: true });
      summary.removed.push(file);
    } else summary.foreign.push(file);
  }
  return summary;
}

export interface StaleReport {
  changed: string[];
  missing: string[];
  extra: string[];
}

/** Compares a fresh build with what is on disk, without writing anything (`vigil build --check`). */
export async function compareArtifacts(outDir: string, artifacts: readonly Artifact[]): Promise<StaleReport> {
  const report: StaleReport = { changed: [], missing: [], extra: [] };
  const next = new Set(artifacts.map((a) => a.path));
  for (const artifact of artifacts) {
    const current = await readFile(path.join(outDir, artifact.path), 'utf8').catch(() => undefined);
    if (current === undefined) report.missing.push(artifact.path);
    else if (current !== artifact.content) report.changed.push(artifact.path);
  }
  for (const file of await listFiles(outDir)) if (!next.has(file)) report.extra.push(file);
  return report;
}

async function previousManifestFiles(outDir: string): Promise<Set<string>> {
  try {
    const manifest = JSON.parse(await readFile(path.join(outDir, MANIFEST_PATH), 'utf8')) as { files?: { path: string }[] };
    return new Set((manifest.files ?? []).map((f) => f.path));
  } catch {
    return new Set();
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    let entries;
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(child);
      else if (!e.name.includes('.vigil-')) out.push(child);
    }
  };
  await walk('');
  return out.sort();
}
