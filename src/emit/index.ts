import type { CheckContext } from '../checks/check.ts';
import type { Model } from '../model/types.ts';
import type { Artifact } from './artifact.ts';
import { emitPrometheusRules } from './prometheus-rules.ts';

export type Emitter = (model: Model, ctx: CheckContext) => Artifact[];

/** Every emitter; each writes its own subtree of generated/. */
export const EMITTERS: readonly Emitter[] = [(model) => emitPrometheusRules(model)];
