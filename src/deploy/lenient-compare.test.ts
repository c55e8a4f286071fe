import { describe, expect, it } from 'vitest';
import { sameBesidesUnavailable, tolerantSecrets } from './secrets.ts';

// The marker comes from the lenient source itself, as the plan gets it.
const MARKER = tolerantSecrets({ env: {}, readFile: async () => '' }, []).env.ABSENT!;
const want = (password: string, extra = '') => `global:\n  scrape_interval: 15s\nremote_write:\n  - url: http://influx/write\n    basic_auth: { username: vigil, password: "${password}" }\n${extra}`;

describe('sameBesidesUnavailable: a lenient plan compares every setting but the secrets it lacks', () => {
  const rows: [string, string | null, boolean][] = [
    ['the same but the secret', want('real-password'), true],
    ['the secret is any string', want('other'), true],
    ['an extra section on disk', want('real-password', 'rule_files: [/x/*.yml]\n'), false],
    ['a section missing on disk', want('real-password').replace('  scrape_interval: 15s\n', ''), false],
    ['another setting differs', want('real-password').replace('15s', '30s'), false],
    ['no secret on disk where one is wanted', want('real-password').replace(', password: "real-password"', ''), false],
    ['no file on disk', null, false],
    ['not YAML on disk', 'global: [', false],
  ];
  for (const [name, onDisk, same] of rows) it(name, () => expect(sameBesidesUnavailable(want(MARKER), onDisk)).toBe(same));
});
