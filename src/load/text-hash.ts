import { sha256 } from '../build/manifest.ts';
import type { SourceFile } from './definition.ts';

const textHashes = new WeakMap<SourceFile, string>();

/**
 * sha256 of a definition file's text, once per loaded file: the load's cache keys, the per-file keys of every
 * compile and manifest.json's inputs all use it.
 */
export function textSha256(source: SourceFile): string {
  let hash = textHashes.get(source);
  if (hash === undefined) textHashes.set(source, (hash = sha256(source.text)));
  return hash;
}

/** Records `hash`, already computed as the sha256 of `source.text`, so textSha256 need not hash the text again. */
export function rememberTextSha256(source: SourceFile, hash: string): void {
  textHashes.set(source, hash);
}
