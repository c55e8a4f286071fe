// The process that runs users' TypeScript definitions (see typescript.ts, which starts it and has already turned each
// file into one JavaScript module). Definitions are code from whoever edits the repository, so they run here: a clean
// environment (no secrets), no file writes and no child processes where Node's permission model is on, bounded time
// and memory. What comes back is data only: each file's default export converted to JSON here, or a problem with its
// place.
//
// Protocol (IPC, JSON): parent → { sdk: { script, sha256, cache?, entries } } (the Grafana SDK as one script, see
// grafana-sdk-script.ts, and the entries to evaluate ahead; optional), { warm: [file] } (modules to import ahead,
// optional), then { cwd, files: [{ module,
// source }] } (the folder to run the definitions in, the module to run, the TypeScript file it comes from); child → { type: 'start', index } before each import,
// { type: 'loaded', index, json } or { type: 'failed', index, message, path?, line?, col? } after it,
// { type: 'late', index?, message, line?, col? } for errors thrown later by timers or promises, { type: 'sdk-cache',
// state } when the SDK script was compiled with a code cache named, and { type: 'done' } once the event loop is
// empty (nothing left running). The parent decides what all of it means.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

const MAX_DEPTH = 200;
const MAX_NODES = 2_000_000;

/** The TypeScript files (for locating errors through source maps) and the modules built from them. */
let files = [];
let modules = [];
let current = -1;

class ExitAttempt extends Error {}

const send = (message) => {
  if (process.connected) process.send(message);
};

/** The first stack frame inside one of the definition files: which file and where, through the modules' source maps. */
function locate(error) {
  const stack = typeof error?.stack === 'string' ? error.stack : '';
  for (const [index, file] of files.entries()) {
    const url = pathToFileURL(file).href;
    for (const candidate of [url, file]) {
      const at = stack.indexOf(candidate);
      if (at < 0) continue;
      const m = /^:(\d+):(\d+)/.exec(stack.slice(at + candidate.length));
      if (m) return { index, line: Number(m[1]), col: Number(m[2]) };
      return { index };
    }
  }
  return {};
}

const messageOf = (e) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 500);

// A definition cannot end the loader (and so decide the outcome): exiting is an error with its place.
for (const name of ['exit', 'reallyExit', 'abort']) {
  process[name] = (code) => {
    throw new ExitAttempt(`definition exited during load (process.${name}(${code ?? ''}))`);
  };
}
const kill = process.kill.bind(process);
process.kill = (pid, signal) => {
  if (pid === process.pid || pid === 0 || pid === process.ppid || pid === -process.pid) throw new ExitAttempt('definition tried to signal the loader during load (process.kill)');
  return kill(pid, signal);
};

const late = (e) => {
  const where = locate(e);
  send({ type: 'late', message: e instanceof ExitAttempt ? e.message : `error after load: ${messageOf(e)}`, ...where, index: where.index ?? current });
};
process.on('uncaughtException', late);
process.on('unhandledRejection', late);

/** A module namespace's default export; CommonJS interop can nest it one level deeper (`{ default: { default } }`). */
function unwrapDefault(mod) {
  let value = mod?.default;
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && 'default' in value) value = value.default;
  return value;
}

class DataProblem extends Error {
  constructor(message, path) {
    super(message);
    this.path = path;
  }
}

/**
 * The exported value as plain JSON data, following JSON.stringify's rules (toJSON, own enumerable keys, functions
 * and undefined left out of objects), except that what JSON would silently change is an error at its path: BigInt,
 * NaN and Infinity, Map and Set, cycles, getters or proxies that throw, too deep or too large.
 */
function toData(root) {
  let nodes = 0;
  const stack = new Set();
  const walk = (value, path) => {
    if (++nodes > MAX_NODES) throw new DataProblem(`definition is too large (more than ${MAX_NODES} values)`, path);
    if (path.length > MAX_DEPTH) throw new DataProblem(`definition is nested more than ${MAX_DEPTH} levels deep`, path);
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new DataProblem(`${value} is not a number a definition can hold`, path);
      return value;
    }
    if (typeof value === 'bigint') throw new DataProblem('a BigInt is not data a definition can hold: use a number or a string', path);
    if (typeof value !== 'object') return undefined; // function, symbol, undefined: left out, as JSON does
    if (typeof value.toJSON === 'function') return walk(value.toJSON(), path);
    if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) {
      throw new DataProblem(`a ${value.constructor.name} is not data a definition can hold: use an object or an array`, path);
    }
    if (stack.has(value)) throw new DataProblem('definition refers to itself (a cycle)', path);
    stack.add(value);
    try {
      if (Array.isArray(value)) {
        const out = [];
        for (let i = 0; i < value.length; i++) {
          const item = walk(value[i], [...path, i]);
          out.push(item === undefined ? null : item);
        }
        return out;
      }
      const out = {};
      for (const key of Object.keys(value)) {
        const item = walk(value[key], [...path, key]);
        if (item !== undefined) Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
      }
      return out;
    } finally {
      stack.delete(value);
    }
  };
  return walk(root, []);
}

async function loadAll() {
  for (const [index, module] of modules.entries()) {
    current = index;
    send({ type: 'start', index });
    try {
      const exported = unwrapDefault(await import(pathToFileURL(module).href));
      let json;
      try {
        const data = toData(exported);
        json = data === undefined ? undefined : JSON.stringify(data);
      } catch (e) {
        const where = locate(e);
        send({ type: 'failed', index, message: e instanceof DataProblem ? e.message : `reading the exported value failed: ${messageOf(e)}`, path: e instanceof DataProblem ? e.path : undefined, line: where.index === index ? where.line : undefined, col: where.index === index ? where.col : undefined });
        continue;
      }
      send({ type: 'loaded', index, json });
    } catch (e) {
      const where = locate(e);
      const located = where.index === index ? { line: where.line, col: where.col } : {};
      send({ type: 'failed', index, message: e instanceof ExitAttempt ? e.message : (e instanceof Error ? e.message : String(e)).replace(/\x1b\[[0-9;]*m/g, '').slice(0, 2000), exit: e instanceof ExitAttempt, ...located });
    }
  }
  current = -1;
  // Only once nothing is left running (no timer, socket or pending promise) is the load over.
  process.once('beforeExit', () => send({ type: 'done' }));
}

// The Grafana SDK as one script (dist/grafana-sdk.cjs): the definitions' bundles take its entries from this global
// (see grafana-sdk-script.ts). Compiled when first asked for, with the V8 code cache the parent's trusted writer made
// (read only; its header names the script's sha256 and the data's, as bin/vigil.js's does); without it, or when V8
// rejects it, the script is compiled as it is, and the parent is told so.
const CODE_CACHE_MAGIC = Buffer.from('vigil code cache 1\n');
let sdk;
let sdkEntries;
function sdkEntry(name) {
  if (sdkEntries === undefined) {
    const source = readFileSync(sdk.script, 'latin1');
    const cachedData = sdk.cache === undefined ? undefined : codeCache(sdk.cache, sdk.sha256);
    const script = new Script(source, { filename: sdk.script, cachedData });
    if (sdk.cache !== undefined) send({ type: 'sdk-cache', state: cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted' });
    const module = { exports: {} };
    script.runInThisContext()(module.exports, createRequire(sdk.script), module);
    sdkEntries = module.exports;
  }
  if (!Object.hasOwn(sdkEntries, name)) throw new Error(`the Grafana Foundation SDK has no module ${String(name)}`);
  return sdkEntries[name]();
}

function codeCache(file, scriptSha256) {
  let content;
  try {
    content = readFileSync(file);
  } catch {
    return undefined;
  }
  const header = CODE_CACHE_MAGIC.length + 64;
  const data = content.subarray(header);
  const sha256 = (b) => createHash('sha256').update(b).digest('hex');
  if (content.length <= header || !content.subarray(0, CODE_CACHE_MAGIC.length).equals(CODE_CACHE_MAGIC)) return undefined;
  if (content.subarray(CODE_CACHE_MAGIC.length, CODE_CACHE_MAGIC.length + 32).toString('hex') !== scriptSha256) return undefined;
  if (content.subarray(header - 32, header).toString('hex') !== sha256(data)) return undefined;
  return data;
}

process.on('message', function sdkScript(message) {
  if (typeof message?.sdk?.script !== 'string') return;
  process.off('message', sdkScript);
  sdk = { script: message.sdk.script, sha256: String(message.sdk.sha256), cache: typeof message.sdk.cache === 'string' ? message.sdk.cache : undefined };
  Object.defineProperty(globalThis, Symbol.for('vigil.grafana-sdk'), { value: sdkEntry });
  // A failure is the definition's to report, when it imports the entry.
  for (const entry of Array.isArray(message.sdk.entries) ? message.sdk.entries : []) {
    try {
      sdkEntry(String(entry));
    } catch {
      break;
    }
  }
});

// Modules the definitions will import (the Grafana SDK's, see typescript.ts), imported while they are bundled: the
// definitions' imports then find them loaded. A failure is theirs to report, when a definition imports the module.
const warmed = [];
// And Vigil's own define helpers (dist/index.js, beside this script in a package or a checkout's dist/), which a
// definition's `import … from 'vigil'` resolves to when it is this installation: ≈ 10–15 ms of the definition's import
// otherwise, after the definitions arrive. Started before them: this process waits for them here anyway.
const ownHelpers = new URL('./index.js', import.meta.url);
if (existsSync(ownHelpers)) warmed.push(import(ownHelpers.href).catch(() => {}));
const warming = (message) => {
  if (!Array.isArray(message?.warm)) return;
  for (const file of message.warm) warmed.push(import(pathToFileURL(String(file)).href).catch(() => {}));
};
process.on('message', warming);

process.on('message', function definitions(message) {
  if (!Array.isArray(message?.files)) return;
  process.off('message', definitions);
  process.off('message', warming);
  const list = message.files;
  files = list.map((f) => String(f.source));
  modules = list.map((f) => String(f.module));
  // The channel must not keep the process alive: the load is over when nothing the definitions started is left.
  process.channel?.unref();
  // The process may have been started before the definitions were known (bin/vigil.js starts it early, in the
  // command's folder): they run in the first one's folder, as when it was the process's own. The permission model
  // allows process.chdir into a readable folder, and each definition's repository is one.
  try {
    if (typeof message.cwd === 'string') process.chdir(message.cwd);
  } catch (e) {
    for (const index of modules.keys()) send({ type: 'failed', index, message: `cannot change to the definition's folder: ${messageOf(e)}` });
    process.once('beforeExit', () => send({ type: 'done' }));
    return;
  }
  // Source maps (stack traces located in the TypeScript files) only once the SDK's modules are in, not with
  // --enable-source-maps: Node then reads the map of every module it loads, and the SDK's come with 600 of them. The
  // definitions import those modules anyway, so waiting for them first delays nothing.
  Promise.all(warmed)
    .then(() => {
      process.setSourceMapsEnabled(true);
      return loadAll();
    })
    .catch(late);
});
