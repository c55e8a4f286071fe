import { fileURLToPath } from 'node:url';
import { CODE_CACHE_DIR, sdkCodeCacheFile, sdkScriptOf, type SdkScript } from './loader-process.ts';

/**
 * The Grafana Foundation SDK as one script (dist/grafana-sdk.cjs, made by bin/dist.mjs) for the TypeScript loader
 * process: a definition's import of `@grafana/grafana-foundation-sdk/<entry>` becomes, in its bundle, a module that
 * takes the entry from that script — when the package the import resolves to is the very version the script was made
 * from (npm never publishes two contents under one version). Imported from node_modules, the SDK's ≈ 600 CommonJS
 * files took the loader process 110–140 ms of its ≈ 0.3 s (Node reads and lexes each for its export names); the
 * script takes ≈ 45 ms, ≈ 20 ms with the V8 code cache this module keeps for it (see sdkCodeCache).
 */
export type { SdkScript };

/** Beside the command line's script in dist/; in a checkout's dist/ when this runs from the sources. */
const DESCRIPTIONS = ['./grafana-sdk.json', '../../dist/grafana-sdk.json'];
let found: SdkScript | null | undefined;

/** The SDK script of this installation, if it has one (VIGIL_TS_SDK_SCRIPT=0: never, the SDK comes from node_modules). */
export function sdkScript(): SdkScript | undefined {
  if (process.env.VIGIL_TS_SDK_SCRIPT === '0') return undefined;
  if (found === undefined) found = sdkScriptOf(DESCRIPTIONS.map((rel) => fileURLToPath(new URL(rel, import.meta.url)))) ?? null;
  return found ?? undefined;
}

/** The name of the global the SDK script's entries are taken from in the loader process (typescript-child.mjs). */
export const SDK_GLOBAL = 'vigil.grafana-sdk';

/**
 * The module that stands for an entry in a definition's bundle: Node's names for it (the ones an ES module importing
 * the entry from node_modules gets), the entry's exports as its default export, as Node gives a CommonJS module's.
 */
export function sdkEntryModule(sdk: SdkScript, entry: string): string {
  const names = sdk.exports[entry] ?? [];
  // A name that can be a variable is exported as itself; any other (a reserved word, say) through an alias.
  const plain = names.filter((n) => IDENTIFIER.test(n) && !RESERVED.has(n));
  const other = names.filter((n) => !plain.includes(n));
  const lines = [`const __vigil_sdk = globalThis[Symbol.for(${JSON.stringify(SDK_GLOBAL)})](${JSON.stringify(entry)});`, 'export default __vigil_sdk;'];
  if (plain.length) lines.push(`export const { ${plain.join(', ')} } = __vigil_sdk;`);
  if (other.length) {
    lines.push(`const { ${other.map((n, i) => `${JSON.stringify(n)}: __vigil_sdk_${i}`).join(', ')} } = __vigil_sdk;`);
    lines.push(`export { ${other.map((n, i) => `__vigil_sdk_${i} as ${JSON.stringify(n)}`).join(', ')} };`);
  }
  return `${lines.join('\n')}\n`;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
// Reserved words and the names a module's top level cannot declare (strict mode).
const RESERVED = new Set(
  'await break case catch class const continue debugger default delete do else enum export extends false finally for function if implements import in instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield arguments eval'.split(' '),
);

/**
 * Where the V8 code cache of the SDK script is kept: beside the command line's code cache (the directory bin/vigil.js
 * passes in; none when it is turned off, or when the sources run), named by the script's sha256, Node's version and
 * the loader's heap limit (a V8 flag: V8 rejects cached data made under other flags).
 */
export function sdkCodeCache(sdk: SdkScript, memoryMb: number): string | undefined {
  const dir = (globalThis as Record<symbol, unknown>)[CODE_CACHE_DIR];
  return typeof dir === 'string' ? sdkCodeCacheFile(dir, sdk.sha256, memoryMb) : undefined;
}

/**
 * What makes the code cache (`node -e`, in a process of its own with the loader's heap limit, so that V8 accepts the
 * data in the loader): Vigil's own script, compiled and its entries the definitions used evaluated, then the data
 * with the header bin/vigil.js writes (magic, the script's sha256, the data's sha256), through a temporary file. The
 * loader process cannot write files: only this trusted process does. argv: script, sha256, cache file, entries.
 */
export const SDK_CACHE_WRITER = `
const [script, sha256, file, ...entries] = process.argv.slice(1);
const fs = require('node:fs'), crypto = require('node:crypto'), path = require('node:path');
const source = fs.readFileSync(script, 'latin1');
if (crypto.createHash('sha256').update(source, 'latin1').digest('hex') !== sha256) process.exit(1);
const compiled = new (require('node:vm').Script)(source, { filename: script });
const module = { exports: {} };
compiled.runInThisContext()(module.exports, require('node:module').createRequire(script), module);
for (const entry of entries) if (Object.hasOwn(module.exports, entry)) module.exports[entry]();
const data = compiled.createCachedData();
const temp = file + '.' + process.pid + '.tmp';
fs.writeFileSync(temp, Buffer.concat([Buffer.from('vigil code cache 1\\n'), Buffer.from(sha256, 'hex'), crypto.createHash('sha256').update(data).digest(), data]));
fs.renameSync(temp, file);
for (const name of fs.readdirSync(path.dirname(file))) {
  if (/^grafana-sdk-[0-9a-f]{32}\\.bin$/.test(name) && name !== path.basename(file)) fs.rmSync(path.join(path.dirname(file), name), { force: true });
}
`;
