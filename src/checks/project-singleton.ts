import type { Check } from './check.ts';

const SINGLE_KINDS = ['Project', 'Severities', 'Routes'] as const;

export const projectSingletonCheck: Check = {
  id: 'project/singleton',
  description: 'A project has exactly one Project, one Severities and one Routes definition.',
  severity: 'error',
  run(ctx) {
    for (const kind of SINGLE_KINDS) {
      const defs = ctx.model.definitionsByKind.get(kind) ?? [];
      if (defs.length === 0 && !ctx.model.broken.has(kind)) {
        ctx.report({ message: `no ${kind} definition found`, hint: `add one file with \`apiVersion: vigil/v1\` and \`kind: ${kind}\`` });
      }
      for (const extra of defs.slice(1)) {
        ctx.report({
          message: `a second ${kind} definition; a project has exactly one`,
          span: extra.locate(['kind']),
          hint: `merge it into ${defs[0]!.file}`,
          related: [{ span: defs[0]!.locate(['kind']), message: `first ${kind} is here` }],
        });
      }
    }
  },
};
