import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseEnvironmentJson, type DeployEnvironment } from './environment.ts';
import { parseManifest, sha256, type EnvironmentLayer, type Manifest, type ManifestEntry, type ManifestInput } from './manifest.ts';
import { mergeLayer } from './overlay.ts';
import {
  ALERTMANAGER_CONFIG_PATH,
  ALERTMANAGER_TEMPLATES_DIR,
  BUILD_FILE,
  ENVIRONMENT_PATH,
  GRAFANA_DASHBOARDS_DIR,
  MANIFEST_PATH,
  PROMETHEUS_RULES_DIR,
  prometheusConfigReplica,
  RELAY_CONFIG_PATH,
  SECRETS_PATH,
} from './paths.ts';
import type { SecretUse } from './secret-use.ts';

/** One file of a build: an emitter's artifact, or a file read back from disk. */
export interface BuildFile {
  path: string;
  content: string;
  sources: string[];
  /**
   * The content as data, when the emitter built it that way (rule files): equal to parsing `content`, so a view of
   * in-memory artifacts hands it over instead of parsing again (10,000 rules of YAML take ~0.4 s to parse).
   * A file read from disk never has it.
   */
  data?: unknown;
}

export interface RuleGroupDocument {
  name: string;
  interval?: string;
  rules: Record<string, unknown>[];
}

export interface RuleFile {
  /** The file's base name, `<group>.yml`, as deploy writes it into the rules directory. */
  name: string;
  path: string;
  content: string;
  /** True when `groups` came from the emitter as data (no YAML is parsed to read them). */
  readonly carried: boolean;
  /** The file's rule groups; parsed on first read unless carried. */
  readonly groups: RuleGroupDocument[];
}


/** A build of one environment by kind of artifact: what deploy and plan read, whether from memory or from disk. */
export interface BuildView {
  files: BuildFile[];
  /** manifest.json's entries (from a build on disk, each checked against its file); empty when there is none. */
  manifest: ManifestEntry[];
  /** The definition files the build was made from, with their sha256 (manifest.json's `inputs`), when recorded. */
  inputs?: ManifestInput[];
  /** environment.json: where an environment's services are; undefined in the shared tree (no environment). */
  environment?: DeployEnvironment;
  ruleGroups: RuleFile[];
  alertmanagerConfig?: { path: string; content: string };
  /** Template files by base name. */
  alertmanagerTemplates: Map<string, string>;
  /** Dashboard JSON by file base name, parsed on first read. */
  readonly dashboards: Map<string, Record<string, unknown>>;
  relayConfig?: { path: string; content: string };
  /** secrets.json's list: the only secrets a deploy of this build reads. */
  secrets: SecretUse[];
  /** Each replica's prometheus.yml, by replica name. */
  prometheusConfigs: Map<string, { path: string; content: string }>;
}

const baseName = (p: string) => path.posix.basename(p);

/** The view of in-memory artifacts (a compile's output); rule groups the emitter built as data are carried, not parsed. */
export function buildView(files: readonly BuildFile[], manifest?: Manifest): BuildView {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const under = (prefix: string) => files.filter((f) => f.path.startsWith(prefix));
  const one = (p: string) => {
    const f = byPath.get(p);
    return f && { path: f.path, content: f.content };
  };
  const manifestFile = byPath.get(MANIFEST_PATH);
  let dashboards: Map<string, Record<string, unknown>> | undefined;
  const secretsText = byPath.get(SECRETS_PATH)?.content;
  const secretsParsed = secretsText === undefined ? undefined : (JSON.parse(secretsText) as { secrets?: unknown });
  const listed = manifest ?? (manifestFile ? parseManifest(manifestFile.content) : { files: [] });
  const environmentText = byPath.get(ENVIRONMENT_PATH)?.content;
  return {
    files: [...files],
    manifest: listed.files,
    ...(listed.inputs ? { inputs: listed.inputs } : {}),
    ...(environmentText === undefined ? {} : { environment: parseEnvironmentJson(environmentText) }),
    ruleGroups: under(PROMETHEUS_RULES_DIR).map(ruleFile),
    alertmanagerConfig: one(ALERTMANAGER_CONFIG_PATH),
    alertmanagerTemplates: new Map(under(ALERTMANAGER_TEMPLATES_DIR).map((f) => [baseName(f.path), f.content])),
    get dashboards() {
      return (dashboards ??= new Map(under(GRAFANA_DASHBOARDS_DIR).map((f) => [baseName(f.path), JSON.parse(f.content) as Record<string, unknown>])));
    },
    relayConfig: one(RELAY_CONFIG_PATH),
    secrets: Array.isArray(secretsParsed?.secrets) ? (secretsParsed.secrets as SecretUse[]) : [],
    prometheusConfigs: new Map(files.flatMap((f) => {
      const replica = prometheusConfigReplica(f.path);
      return replica === undefined ? [] : [[replica, { path: f.path, content: f.content }] as const];
    })),
  };
}

function ruleFile(f: BuildFile): RuleFile {
  const carried = (f.data as { groups?: RuleGroupDocument[] } | undefined)?.groups;
  let groups = carried;
  return {
    name: baseName(f.path),
    path: f.path,
    content: f.content,
    carried: carried !== undefined,
    get groups() {
      return (groups ??= (parseYaml(f.content) as { groups: RuleGroupDocument[] }).groups);
    },
  };
}

/** A build that cannot be used as it is: what is wrong, what to do, and a stable id (`deploy/build`). */
export class BuildError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly code: 'deploy/build' | 'deploy/stale-build' = 'deploy/build',
  ) {
    super(message);
  }
}

/** A build is text a reviewer could read: anything bigger is refused rather than read. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_TOTAL_BYTES = 512 * 1024 * 1024;
const MAX_FILES = 100_000;

/**
 * Reads the build of one environment from `dir/<environment>/` (or `dir` itself without one) — e.g. the generated/
 * tree of a pull request, downloaded as an artifact by a job that holds deploy credentials and must not run the pull
 * request's code. An environment's tree is an overlay of the shared tree in `dir` (listed in `dir/manifest.json`,
 * see build/overlay.ts), read merged: the same files, bytes and order as a full tree; a full tree with a manifest of
 * its own (an older Vigil's build, or the relay's part of a build) is read as it is. Only files a manifest lists are
 * read, each must have the manifest's sha256, be a regular file inside its tree (no symlink, no `..`) of a kind Vigil
 * writes, and sizes are bounded: whatever else is in the artifact is ignored. Throws a BuildError.
 */
export async function readBuild(dir: string, environment?: string): Promise<BuildView> {
  const shown = environment === undefined ? dir : path.join(dir, environment);
  const fail = (why: string, hint = 'use the generated/ tree that `vigil build` wrote, unchanged') => new BuildError(`the build in ${shown} cannot be used: ${why}`, hint);
  const realRoot = await existingTree(path.resolve(shown), fail);
  // A tree with its own manifest is whole (a build before overlays, or the relay's part of a build that deploy writes
  // beside a layered build): its manifest is the one that describes its files.
  const whole = await lstat(path.join(realRoot, MANIFEST_PATH)).then(() => true, () => false);
  const layered = environment === undefined || whole ? undefined : await sharedManifest(dir, environment);
  let manifest: Manifest;
  let sources: { root: string; entry: ManifestEntry; shared: boolean }[];
  if (layered) {
    const sharedRoot = await existingTree(path.resolve(dir), fail);
    const merged = mergeLayer(layered.files, layered.layer).map(({ own, ...entry }) => ({ root: own ? realRoot : sharedRoot, entry, shared: !own }));
    manifest = { files: merged.map((m) => m.entry), ...(layered.inputs ? { inputs: layered.inputs } : {}) };
    sources = merged;
  } else {
    const manifestText = await readRegular(realRoot, MANIFEST_PATH, fail);
    try {
      manifest = parseManifest(manifestText);
    } catch (e) {
      throw fail(`${MANIFEST_PATH} is not a Vigil manifest (${(e as Error).message})`);
    }
    sources = manifest.files.map((entry) => ({ root: realRoot, entry, shared: false }));
  }
  if (sources.length > MAX_FILES) throw fail(`its manifest lists ${sources.length} files (at most ${MAX_FILES})`);
  const files: BuildFile[] = [];
  let total = 0;
  for (const { root, entry: f, shared } of sources) {
    const shownPath = shared ? `the shared tree's ${f.path}` : f.path;
    if (!BUILD_FILE.test(f.path) || f.path.split('/').some((s) => s === '..' || s === '.' || s === '')) throw fail(`its manifest lists ${JSON.stringify(f.path)}, which is not a file Vigil writes`);
    const content = await readRegular(root, f.path, (why) => fail(shared ? `the shared tree's ${why}` : why));
    total += Buffer.byteLength(content);
    if (total > MAX_TOTAL_BYTES) throw fail(`its files hold more than ${MAX_TOTAL_BYTES / 1024 / 1024} MB`);
    if (sha256(content) !== f.sha256) throw fail(`${shownPath} is not the file its manifest lists (sha256 differs)`);
    files.push({ path: f.path, content, sources: [] });
  }
  try {
    JSON.parse(files.find((f) => f.path === SECRETS_PATH)?.content ?? '{}');
  } catch (e) {
    throw fail(`${SECRETS_PATH} is not valid JSON (${(e as Error).message})`);
  }
  try {
    return buildView(files, manifest);
  } catch (e) {
    throw fail(`${ENVIRONMENT_PATH} is not what Vigil writes: ${(e as Error).message}`);
  }
}

async function existingTree(root: string, fail: (why: string, hint?: string) => BuildError): Promise<string> {
  try {
    return await realpath(root);
  } catch {
    throw fail('it does not exist', `pass the directory that holds <environment>/manifest.json (a generated/ tree) and check --env`);
  }
}

/**
 * The shared tree's manifest entries and the environment's layer, when `dir/manifest.json` is a manifest that has
 * one for `environment`; undefined otherwise (a full environment tree, or no build: readBuild says which).
 */
async function sharedManifest(dir: string, environment: string): Promise<(Manifest & { layer: EnvironmentLayer }) | undefined> {
  const manifest = await readSharedManifest(dir);
  const layer = manifest?.environments && Object.hasOwn(manifest.environments, environment) ? manifest.environments[environment] : undefined;
  return manifest && layer && { ...manifest, layer };
}

/** `dir/manifest.json` when it is a readable Vigil manifest in a regular file; undefined otherwise. */
async function readSharedManifest(dir: string): Promise<Manifest | undefined> {
  const file = path.join(dir, MANIFEST_PATH);
  try {
    const info = await lstat(file);
    if (!info.isFile() || info.size > MAX_FILE_BYTES) return undefined;
    return parseManifest(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The environments a generated/ tree holds a build of: those its manifest has a layer for, and folders with a
 * manifest.json of their own (a full tree); sorted. Undefined when `dir` does not exist.
 */
export async function builtEnvironments(dir: string): Promise<string[] | undefined> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const names = new Set(Object.keys((await readSharedManifest(dir))?.environments ?? {}));
  for (const e of entries) {
    if (!e.isDirectory() || names.has(e.name)) continue;
    try {
      if ((await lstat(path.join(dir, e.name, MANIFEST_PATH))).isFile()) names.add(e.name);
    } catch {
      // a folder of the shared tree (prometheus/, docs/, …): not an environment
    }
  }
  return [...names].sort();
}

async function readRegular(root: string, rel: string, fail: (why: string) => BuildError): Promise<string> {
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
