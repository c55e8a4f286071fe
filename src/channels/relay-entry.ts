/** A relay.yml entry with its keys sorted, so the file does not depend on the order of the definitions. */
export function sortedEntry(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key];
  return out;
}
