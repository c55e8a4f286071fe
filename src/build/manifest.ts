import { createHash } from 'node:crypto';
import { MANIFEST_PATH } from './paths.ts';

export interface ManifestEntry {
  path: string;
  sha256: string;
  sources?: string[];
}

/** A definition file the build was made from (`<definitions dir name>/<path inside it>`) and its sha256. */
export interface ManifestInput {
  path: string;
  sha256: string;
}

/**
 * An environment's build as an overlay of the shared tree: the files whose content differs from the shared tree's
 * (paths inside `<env>/`), and the shared files the environment does not have.
 */
export interface EnvironmentLayer {
  files: ManifestEntry[];
  removed: string[];
}

export interface Manifest {
  files: ManifestEntry[];
  /** Undefined in a manifest written before inputs were recorded, or by a build of in-memory sources. */
  inputs?: ManifestInput[];
  /**
   * Each environment's overlay, in the shared tree's manifest: one manifest vouches for every file, so a change to a
   * shared file never ripples into an environment's files. Undefined without environments, and in a manifest of
   * an older Vigil (whose environment trees were full, each with a manifest of its own).
   */
  environments?: Record<string, EnvironmentLayer>;
}

export const sha256 = (content: string) => createHash('sha256').update(content).digest('hex');

const artifactDigests = new WeakMap<object, string>();
/** UTF-8 bytes of contents, made once for the sha256 and the write (see artifactSha256 and withContentParts). */
const artifactEncodings = new WeakMap<object, Buffer>();
const ENCODE_ONCE_FROM = 1 << 20;

/**
 * `file` with a content read when first used (a text kept by an earlier build, see compile-scopes.ts' memoText) and
 * known to have the sha256 `digest`: a build whose output already holds it never reads it.
 */
export function withLazyContent<T extends object>(file: T, digest: string, text: () => string): T & { content: string } {
  const lazy = withContentMadeOnRead(file, text);
  artifactDigests.set(lazy, digest);
  return lazy;
}

/**
 * `file` whose content is `parts` side by side, made into one string only when read; its UTF-8 bytes (for its
 * sha256 and the write) are the parts' bytes. V8 keeps a text with one character outside Latin-1 as UTF-16: the
 * alert catalogue's heading holds a dash, its 6 MB body none — joined, 12 MB to build and then to encode.
 */
export function withContentParts<T extends object>(file: T, parts: readonly string[]): T & { content: string } {
  const lazy = withContentMadeOnRead(file, () => parts.join(''));
  artifactEncodings.set(lazy, Buffer.concat(parts.map((part) => Buffer.from(part, 'utf8'))));
  return lazy;
}

/**
 * `file` whose content is the UTF-8 text `bytes`, decoded into a string only when read; the bytes are those of its
 * sha256 and the write (the alert catalogue, assembled from per-file byte runs).
 */
export function withContentBytes<T extends object>(file: T, bytes: Buffer): T & { content: string } {
  const lazy = withContentMadeOnRead(file, () => bytes.toString('utf8'));
  artifactEncodings.set(lazy, bytes);
  return lazy;
}

/** `file` with a `content` made by `make` when first read, then kept. */
function withContentMadeOnRead<T extends object>(file: T, make: () => string): T & { content: string } {
  let content: string | undefined;
  return Object.defineProperty(file, 'content', { get: () => (content ??= make()), enumerable: true, configurable: true }) as T & { content: string };
}

/**
 * sha256 of a generated file's content, once per file object (manifest.json lists it; the write step compares it).
 * A content of 1 MB or more is encoded once, for the digest and the write: hashing a string encodes it first, and a
 * text with one character outside Latin-1 is UTF-16 in memory (≈ 18 ms to hash the 10,000-alert catalogue so,
 * against 7 ms to encode it and 4 ms to hash the bytes).
 */
export function artifactSha256(file: { content: string }): string {
  let digest = artifactDigests.get(file);
  if (digest !== undefined) return digest;
  let bytes = artifactEncodings.get(file);
  if (bytes === undefined) {
    const content = file.content;
    if (content.length < ENCODE_ONCE_FROM) digest = sha256(content);
    else artifactEncodings.set(file, (bytes = Buffer.from(content, 'utf8')));
  }
  digest ??= createHash('sha256').update(bytes!).digest('hex');
  artifactDigests.set(file, digest);
  return digest;
}

/** The UTF-8 bytes of a generated file's content (those artifactSha256 made, else encoded now). */
export function artifactBytes(file: { content: string }): Buffer {
  return artifactEncodings.get(file) ?? Buffer.from(file.content, 'utf8');
}

/** Drops the bytes artifactSha256 kept for `file` (once written, nothing reads them again). */
export function forgetArtifactBytes(file: object): void {
  artifactEncodings.delete(file);
}

/**
 * manifest.json of a build: every file with its sha256 and the definitions it came from, in the files' order, and
 * the definition files it was built from (so deploy can tell a build made from other definitions without compiling).
 */
export function buildManifest(
  files: readonly ManifestFile[],
  inputs?: readonly ManifestInput[],
  environments?: readonly { name: string; files: readonly ManifestFile[]; removed: readonly string[] }[],
): { path: string; content: string; sources: string[] } {
  const sortedInputs = inputs && [...inputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((i) => ({ path: i.path, sha256: i.sha256 }));
  const layers = environments?.length ? { environments: Object.fromEntries(environments.map((e) => [e.name, { files: e.files.map(manifestEntry), removed: [...e.removed] }])) } : {};
  const doc = { generator: 'vigil', format: 'vigil/v1', files: files.map(manifestEntry), ...layers, ...(sortedInputs ? { inputs: sortedInputs } : {}) };
  return { path: MANIFEST_PATH, content: JSON.stringify(doc, null, 2) + '\n', sources: [] };
}

type ManifestFile = { path: string; content: string; sources: readonly string[] };

const manifestEntry = (f: ManifestFile): ManifestEntry => ({ path: f.path, sha256: artifactSha256(f), sources: [...new Set(f.sources)].sort() });

const SHA256 = /^[0-9a-f]{64}$/;

/** A manifest.json's entries and inputs; throws an Error saying what is wrong when it is not a Vigil manifest. */
export function parseManifest(text: string): Manifest {
  const parsed = JSON.parse(text) as { generator?: unknown; files?: unknown; inputs?: unknown; environments?: unknown };
  if (parsed.generator !== 'vigil' || !Array.isArray(parsed.files)) throw new Error('not a Vigil manifest');
  const files = fileEntries(parsed.files);
  const environments = parsed.environments === undefined ? {} : { environments: environmentLayers(parsed.environments) };
  if (parsed.inputs === undefined) return { files, ...environments };
  if (!Array.isArray(parsed.inputs)) throw new Error('"inputs" is not a list');
  const inputs = parsed.inputs.map((i: unknown) => {
    const input = i as { path?: unknown; sha256?: unknown };
    if (typeof input.path !== 'string' || typeof input.sha256 !== 'string' || !SHA256.test(input.sha256)) throw new Error('an input entry without path or sha256');
    return { path: input.path, sha256: input.sha256 };
  });
  return { files, ...environments, inputs };
}

function fileEntries(list: unknown[]): ManifestEntry[] {
  return list.map((f: unknown) => {
    const entry = f as { path?: unknown; sha256?: unknown; sources?: unknown };
    if (typeof entry.path !== 'string' || typeof entry.sha256 !== 'string' || !SHA256.test(entry.sha256)) throw new Error('a file entry without path or sha256');
    const sources = Array.isArray(entry.sources) ? entry.sources.filter((s): s is string => typeof s === 'string') : undefined;
    return { path: entry.path, sha256: entry.sha256, ...(sources ? { sources } : {}) };
  });
}

function environmentLayers(value: unknown): Record<string, EnvironmentLayer> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('"environments" is not an object');
  // No prototype: an environment named like an Object property (`__proto__`, `constructor`) is just a name.
  const layers: Record<string, EnvironmentLayer> = Object.create(null) as Record<string, EnvironmentLayer>;
  for (const [name, layer] of Object.entries(value)) {
    const l = layer as { files?: unknown; removed?: unknown } | null;
    if (typeof l !== 'object' || l === null || !Array.isArray(l.files)) throw new Error(`environment ${JSON.stringify(name)} lists no files`);
    const removed = l.removed ?? [];
    if (!Array.isArray(removed) || removed.some((r) => typeof r !== 'string')) throw new Error(`environment ${JSON.stringify(name)}: "removed" is not a list of paths`);
    layers[name] = { files: fileEntries(l.files), removed: removed as string[] };
  }
  return layers;
}
