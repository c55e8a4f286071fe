import { ALERTMANAGER_SILENCES_PATH } from '../build/paths.ts';
import type { Model } from '../model/types.ts';
import { silencesFile } from '../silences/document.ts';
import type { Artifact } from './artifact.ts';
import { uniqueSorted } from './artifact.ts';

/**
 * alertmanager/silences.json: the silences deploy keeps in Alertmanager. The shared tree lists every entry with its
 * environments; an Environment's build only those that apply to it, so plan and deploy read exactly that Environment's
 * set. Written whenever the project has a Silences definition, even with no entry for an Environment: the empty list
 * is what tells deploy to expire the silences it made there before. No wall-clock time enters the file.
 */
export function emitSilences(model: Model): Artifact[] {
  const definitions = model.definitionsByKind.get('Silences') ?? [];
  if (definitions.length === 0) return [];
  const file = silencesFile(model, model.environment?.name);
  const sources = uniqueSorted(definitions.map((d) => d.file));
  return [{ path: ALERTMANAGER_SILENCES_PATH, content: JSON.stringify(file, null, 2) + '\n', sources }];
}
