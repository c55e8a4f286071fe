import type { ReceiversSpec } from '../../spec/types.gen.ts';
import { at, type KindMapper } from './mapper.ts';

export const mapReceivers: KindMapper = (def, { model }) => {
  const r = def.value as ReceiversSpec;
  r.receivers.forEach((rec, i) => {
    const { name, sendResolved, discard, alertmanager, fallback, ...channels } = rec;
    model.receivers.push({ name, sendResolved: sendResolved !== false, channels, integrations: alertmanager ?? {}, discard: discard === true, ...(fallback !== undefined ? { fallback } : {}), origin: at(def, ['receivers', i]) });
  });
};
