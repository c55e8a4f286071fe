import type { TemplatesSpec } from '../../spec/types.gen.ts';
import { at, type KindMapper } from './mapper.ts';

export const mapTemplates: KindMapper = (def, { model }) => {
  const spec = def.value as TemplatesSpec;
  spec.templates.forEach((t, i) => {
    model.templates.push({ ...t, origin: at(def, ['templates', i]) });
  });
};
