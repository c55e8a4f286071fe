import { buildManifest, parseManifest, type EnvironmentLayer, type ManifestEntry } from './manifest.ts';
import { MANIFEST_PATH } from './paths.ts';

/** A file of a build as the emitters make it (build/ does not import emit/: emit writes into build's layout). */
type Artifact = { path: string; content: string; sources: string[] };

/** One environment's compiled files, as `compile` emits them (paths inside the environment's tree). */
export interface EnvironmentArtifacts {
  name: string;
  artifacts: readonly Artifact[];
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * What `vigil build` writes for a project: the shared tree as compiled, and each environment as an overlay of it —
 * under `<env>/` only the files whose content differs from the shared tree's (environment.json always does) — with
 * one manifest.json at the root that lists the shared files, each environment's own files and the shared files it
 * does not have. A change that reads the same in every environment therefore touches the shared file and the
 * manifest only. Without environments this is the shared compile's output, unchanged.
 */
export function layeredArtifacts(shared: readonly Artifact[], environments: readonly EnvironmentArtifacts[]): Artifact[] {
  if (environments.length === 0) return [...shared];
  const sharedFiles = shared.filter((a) => a.path !== MANIFEST_PATH);
  const sharedContent = new Map(sharedFiles.map((a) => [a.path, a.content]));
  const manifestArtifact = shared.find((a) => a.path === MANIFEST_PATH);
  const inputs = manifestArtifact && parseManifest(manifestArtifact.content).inputs;
  const layers = environments.map(({ name, artifacts }) => {
    const files = artifacts.filter((a) => a.path !== MANIFEST_PATH);
    const present = new Set(files.map((a) => a.path));
    return {
      name,
      files: files.filter((a) => sharedContent.get(a.path) !== a.content),
      removed: sharedFiles.filter((a) => !present.has(a.path)).map((a) => a.path),
    };
  });
  const overlays = layers.flatMap((l) => l.files.map((a) => ({ ...a, path: `${l.name}/${a.path}` })));
  return [...sharedFiles, ...overlays, buildManifest(sharedFiles, inputs, layers)];
}

/**
 * An environment's whole tree from the shared tree's entries and its layer: the shared files it keeps, with its own
 * files in their place or beside them, in path order (the order a full tree's manifest lists them). Each entry says
 * which tree holds its file.
 */
export function mergeLayer(shared: readonly ManifestEntry[], layer: EnvironmentLayer): (ManifestEntry & { own: boolean })[] {
  const own = new Set(layer.files.map((f) => f.path));
  const removed = new Set(layer.removed);
  const inherited = shared.filter((f) => !own.has(f.path) && !removed.has(f.path)).map((f) => ({ ...f, own: false }));
  return [...inherited, ...layer.files.map((f) => ({ ...f, own: true }))].sort(byPath);
}
