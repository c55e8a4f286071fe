import type { Diagnostic } from '../../diagnostics.ts';
import type { Definition, Path } from '../../load/definition.ts';
import type { Model, Origin } from '../types.ts';

export const DEFAULT_INTERVAL = '1m';

/** What a kind's mapper adds to: the model under construction and the diagnostics of the mapping. */
export interface ModelUnderConstruction {
  model: Model;
  diagnostics: Diagnostic[];
}

/** Maps one schema-valid definition of its kind into the model. Pure; never throws on valid specs. */
export type KindMapper = (def: Definition, into: ModelUnderConstruction) => void;

export const at = (def: Definition, path: Path = []): Origin => ({ def, path });
