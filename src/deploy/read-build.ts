import { createHash } from 'node:crypto';
import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Artifact } from '../emit/artifact.ts';
import { DeployError } from './errors.ts';

/** manifest.json of a build tree (see compile.ts). */
const MANIFEST = 'manifest.json';
/** A build is text a reviewer could read: anything bigger is refused rather than read. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_TOTAL_BYTES = 512 * 1024 * 1024;
const MAX_FILES = 100_000;
/** The files a build of one environment may hold (what the emitters write), and nothing else. */
const ALLOWED = /^(?:prometheus\/(?:rules\/[^/]+\.yml|prometheus-[^/]+\.yml)|alertmanager\/(?:alertmanager\.yml|templates\/[^/]+\.tmpl)|grafana\/(?:dashboards\/[^/]+\.json|provisioning\/[^/]+\/[^/]+\.ya?ml)|relay\/relay\.yml|docs\/[^/]+\.md|secrets\.json)$/;

/**
 * Reads the build of one environment from `dir/<environment>/` — e.g. the generated/ tree of a pull request,
 * downloaded as an artifact by a job that holds deploy credentials and must not run the pull request's code. Only
 * files its manifest lists are read, each must have the manifest's sha256, be a regular file inside the tree (no
 * symlink, no `..`) of a kind Vigil writes, and sizes are bounded: whatever else is in the artifact is ignored.
 */
export async function readBuild(dir: string, environment: string): Promise<Artifact[]> {
  const root = path.resolve(dir, environment);
  const fail = (why: string, hint = 'use the generated/ tree that `vigil build` wrote, unchanged') => new DeployError(`the build in ${path.join(dir, environment)} cannot be used: ${why}`, hint, 'deploy/build');
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    throw fail('it does not exist', `pass the directory that holds <environment>/manifest.json (a generated/ tree) and check --env`);
  }
  const manifestText = await readRegular(realRoot, MANIFEST, fail);
  let files: { path: string; sha256: string }[];
  try {
    const parsed = JSON.parse(manifestText) as { generator?: unknown; files?: unknown };
    if (parsed.generator !== 'vigil' || !Array.isArray(parsed.files)) throw new Error('not a Vigil manifest');
    files = parsed.files.map((f: unknown) => {
      const entry = f as { path?: unknown; sha256?: unknown };
      if (typeof entry.path !== 'string' || typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256)) throw new Error('a file entry without path or sha256');
      return { path: entry.path, sha256: entry.sha256 };
    });
  } catch (e) {
    throw fail(`${MANIFEST} is not a Vigil manifest (${(e as Error).message})`);
  }
  if (files.length > MAX_FILES) throw fail(`its manifest lists ${files.length} files (at most ${MAX_FILES})`);
  const artifacts: Artifact[] = [];
  let total = 0;
  for (const f of files) {
    if (!ALLOWED.test(f.path) || f.path.split('/').some((s) => s === '..' || s === '.' || s === '')) throw fail(`its manifest lists ${JSON.stringify(f.path)}, which is not a file Vigil writes`);
    const content = await readRegular(realRoot, f.path, fail);
    total += Buffer.byteLength(content);
    if (total > MAX_TOTAL_BYTES) throw fail(`its files hold more than ${MAX_TOTAL_BYTES / 1024 / 1024} MB`);
    if (createHash('sha256').update(content).digest('hex') !== f.sha256) throw fail(`${f.path} is not the file its manifest lists (sha256 differs)`);
    artifacts.push({ path: f.path, content, sources: [] });
  }
  return artifacts;
}

async function readRegular(root: string, rel: string, fail: (why: string) => DeployError): Promise<string> {
  const file = path.join(root, rel);
  if (path.relative(root, file).startsWith('..')) throw fail(`${JSON.stringify(rel)} is outside the build`);
  let info;
  try {
    info = await lstat(file);
  } catch {
    throw fail(`${rel} is missing`);
  }
  if (!info.isFile()) throw fail(`${rel} is not a regular file (a symlink or a directory)`);
  if (info.size > MAX_FILE_BYTES) throw fail(`${rel} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
  // Every parent inside the build must be a plain directory too: a symlinked folder could point anywhere.
  for (let d = path.dirname(file); d !== root && d.startsWith(root); d = path.dirname(d)) {
    if ((await lstat(d)).isSymbolicLink()) throw fail(`${path.relative(root, d)} is a symlink`);
  }
  const bytes = await readFile(file);
  const text = bytes.toString('utf8');
  if (Buffer.byteLength(text) !== bytes.length || text.includes('\uFFFD')) throw fail(`${rel} is not UTF-8 text`);
  return text;
}
