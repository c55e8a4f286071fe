import { CHECKS } from '../checks/index.ts';
import { STAGE_CHECKS } from '../checks/stage-checks.ts';
import type { CliIO } from './io.ts';
import { EXIT } from './exit.ts';

export { STAGE_CHECKS } from '../checks/stage-checks.ts';

export function runChecks(io: CliIO, format: 'text' | 'json' | 'github'): number {
  const all = [...STAGE_CHECKS.map(({ id, severity, description }) => ({ id, severity, description })), ...CHECKS.map((c) => ({ id: c.id, severity: c.severity, description: c.description }))].sort((a, b) => (a.id < b.id ? -1 : 1));
  if (format === 'json') io.out(JSON.stringify(all, null, 2) + '\n');
  else {
    const width = Math.max(...all.map((c) => c.id.length));
    for (const c of all) io.out(`${c.id.padEnd(width)}  ${c.severity.padEnd(7)}  ${c.description}\n`);
  }
  return EXIT.ok;
}
