// Which test files are integration tests (`npm run test:integration`) and which are unit tests (`npm run test:unit`).
// The rule, also in docs/en/testing.md: a test file is an integration test when it starts another process — the vigil
// command, node, npm, a real tool (promtool, amtool) or a server (Prometheus, Alertmanager, Pushgateway, PostgreSQL,
// the relay). Every file under test/integration/ and test/e2e/ is one; elsewhere a file is one when its source uses
// node:child_process or one of the helpers and Vigil functions below that start a process. Every other test file is
// a unit test. (The child process the compiler forks internally for TypeScript definitions does not count.)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const INTEGRATION_FOLDERS = ['test/integration/', 'test/e2e/'];

/** Imports and calls that start a process: the test helpers (test/helpers/) and the Vigil functions that run tools. */
export const STARTS_A_PROCESS = new RegExp(
  [
    String.raw`['"]node:child_process['"]`,
    String.raw`\brunVigil(Async)?\(`,
    String.raw`\brunOnBuild\(`,
    String.raw`\bhasCommand\(`,
    String.raw`\bserviceScope\(`,
    String.raw`\bstart(Stack|Postgres|Pushgateway|RelayProject|Service|Alertmanager)\(`,
    String.raw`\b(runPromtool|promtoolVersion|verdict|proveRoutingWithAmtool|amtoolRoutes|amtoolCheck|compareWithAmtool)\(`,
  ].join('|'),
);

/** Test files of the suite (what vitest.config.ts includes and does not exclude), relative to the repository. */
export function testFiles() {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (rel !== 'test/bench' && rel !== 'test/example' && entry.name !== 'node_modules') walk(rel);
      } else if (entry.name.endsWith('.test.ts')) found.push(rel);
    }
  };
  walk('src');
  walk('test');
  walk('scripts');
  return found.sort();
}

export function isIntegrationTest(file, source = readFileSync(path.join(ROOT, file), 'utf8')) {
  return INTEGRATION_FOLDERS.some((folder) => file.startsWith(folder)) || STARTS_A_PROCESS.test(source);
}

/**
 * Integration files known to take over 40 s on the 2-core machine (CI's figures, slowest first). They start first:
 * files run side by side, and a long one started last leaves the part waiting on it alone (one started last made 80 s
 * of a 9.5-minute run). Everything else follows in vitest's order. test-kinds.test.ts checks each is an integration
 * test that exists.
 */
export const SLOWEST_FIRST = [
  'test/integration/example-alerts-fire.test.ts',
  'test/integration/example-tests.test.ts',
  'test/e2e/import-slo.test.ts',
  'test/security/hostile-inputs.test.ts',
  'test/security/literal-secrets.test.ts',
];

/** The files in the order they should start: SLOWEST_FIRST first, the rest as given (a stable sort). */
export function slowestFirst(files, fileOf = (f) => f) {
  const rank = (f) => {
    const i = SLOWEST_FIRST.indexOf(fileOf(f));
    return i < 0 ? SLOWEST_FIRST.length : i;
  };
  return [...files].sort((a, b) => rank(a) - rank(b));
}

/** The suite split by the rule: { unit, integration }, each sorted. */
export function testKinds() {
  const unit = [];
  const integration = [];
  for (const file of testFiles()) (isIntegrationTest(file) ? integration : unit).push(file);
  return { unit, integration };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kinds = testKinds();
  for (const kind of ['unit', 'integration']) {
    process.stdout.write(`${kind} (${kinds[kind].length} files)\n${kinds[kind].map((f) => `  ${f}\n`).join('')}`);
  }
}
