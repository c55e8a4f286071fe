import type { Span } from '../diagnostics.ts';
import type { Definition } from '../load/definition.ts';
import type { ExpressionModel } from '../model/types.ts';
import type { SloSpec } from '../slo/index.ts';
import type { SLOsSpec } from '../spec/types.gen.ts';
import type { CheckContext } from './check.ts';

/** One SLO of a valid SLOs definition, with the way to its fields' positions. */
export interface FoundSlo {
  slo: SloSpec;
  def: Definition;
  index: number;
  /** Span of a field of the SLO (or its nearest written ancestor). */
  at(...sub: (string | number)[]): Span;
  /** Span of a field's key. */
  keyAt(...sub: (string | number)[]): Span;
}

export function slosOf(ctx: CheckContext): FoundSlo[] {
  return (ctx.model.definitionsByKind.get('SLOs') ?? []).flatMap((def) =>
    (def.value as SLOsSpec).slos.map((slo, index) => ({
      slo,
      def,
      index,
      at: (...sub: (string | number)[]) => def.locate(['slos', index, ...sub]),
      keyAt: (...sub: (string | number)[]) => def.locateKey(['slos', index, ...sub]),
    })),
  );
}

/** The written queries of an SLO as the model holds them for checks (one per field). */
export function sloExpressions(ctx: CheckContext, found: FoundSlo): ExpressionModel[] {
  return ctx.model.expressions.filter((e) => e.owner === `SLO ${found.slo.name}` && e.origin.def.file === found.def.file && e.origin.def.index === found.def.index && e.origin.path[1] === found.index);
}
