import type { Message, Plugin } from 'esbuild';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sdkEntryModule, sdkScript } from './grafana-sdk-script.ts';
import { packageManifestOf, sdkEntryByNodeResolution, sdkEntryFor, type InstalledPackage } from './sdk-resolve.ts';

export interface Bundled {
  /** ES module text with an inline source map back to the TypeScript files. */
  code?: string;
  /** Absolute paths of every file the module was made from or imports by path (the incremental cache's inputs). */
  inputs?: string[];
  /** Syntax and resolution errors, with their place in the file that has them. */
  errors: { message: string; file?: string; line?: number; col?: number }[];
}

/**
 * TypeScript → one JavaScript module per definition file, in this (trusted) process: esbuild only reads and
 * transforms, it runs nothing. The definition's own TypeScript imports (and `vigil`'s define helpers) are bundled in;
 * every JavaScript package stays an import, by its absolute path, so the loader process needs no TypeScript
 * loader of its own (no worker thread, no transform child process) and can run under Node's permission model.
 */
export async function bundleDefinition(absolutePath: string, outfile: string): Promise<Bundled> {
  try {
    // esbuild's API is loaded by the loads that have TypeScript files, not by every command that loads definitions,
    // and required: importing its CommonJS entry from an ES module costs ≈ 45 ms of CPU (Node's lexer reads it for
    // its export names) against ≈ 10 ms, on the thread whose answers the bundling waits for.
    const { build } = esbuildApi();
    const result = await build({
      entryPoints: [absolutePath],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      // Where the module will be: its source map names the TypeScript files relative to it, for stack traces.
      outfile,
      sourcemap: 'inline',
      // Stack traces need the mappings only: no copy of every source (the SDK entries' modules included) to parse.
      sourcesContent: false,
      logLevel: 'silent',
      plugins: [packagesByAbsolutePath],
      metafile: true,
    });
    const inputs = new Set<string>();
    for (const input of Object.keys(result.metafile.inputs)) {
      // An SDK entry taken from the SDK script: the file it stands for, and its package.json (the version checked).
      const sdkFile = input.startsWith(`${SDK_NAMESPACE}:`) ? input.slice(SDK_NAMESPACE.length + 1) : undefined;
      inputs.add(path.resolve(sdkFile ?? input));
      const manifest = sdkFile && packageManifestOf(sdkFile);
      if (manifest) inputs.add(manifest);
    }
    for (const output of Object.values(result.metafile.outputs)) {
      for (const i of output.imports) {
        if (!i.external || !path.isAbsolute(i.path)) continue;
        inputs.add(i.path);
        // A package's entry file may stay the same across versions; its package.json does not.
        const manifest = packageManifestOf(i.path);
        if (manifest) inputs.add(manifest);
      }
    }
    return { code: result.outputFiles[0]!.text, inputs: [...inputs].sort(), errors: [] };
  } catch (e) {
    const messages = (e as { errors?: Message[] }).errors;
    if (!Array.isArray(messages)) return { errors: [{ message: (e as Error).message }] };
    return {
      errors: messages.map((m) => ({
        message: m.text,
        ...(m.location ? { file: path.resolve(m.location.file), line: m.location.line, col: m.location.column + 1 } : {}),
      })),
    };
  }
}

let esbuild: typeof import('esbuild') | undefined;

/**
 * esbuild's API, required once: under the command line, through bin/vigil.js's code cache (its
 * requireWithCodeCache, which gives every caller the same module, so one service runs); from node_modules otherwise.
 */
export function esbuildApi(): typeof import('esbuild') {
  if (esbuild) return esbuild;
  const require = createRequire(import.meta.url);
  const withCodeCache = (globalThis as Record<symbol, unknown>)[Symbol.for('vigil.require-with-code-cache')] as ((file: string, label: string) => unknown) | undefined;
  esbuild = (withCodeCache ? withCodeCache(require.resolve('esbuild'), 'esbuild') : require('esbuild')) as typeof import('esbuild');
  return esbuild;
}

const SDK_NAMESPACE = 'vigil-grafana-sdk';

/**
 * Bare imports (packages) resolve where the definition lives; TypeScript sources among them are bundled. An import
 * of a Grafana Foundation SDK entry the SDK script carries (same package version) becomes a module that takes the
 * entry from that script in the loader process (see grafana-sdk-script.ts).
 */
const packagesByAbsolutePath: Plugin = {
  name: 'vigil-packages',
  setup(b) {
    const sdk = sdkScript();
    const installed = new Map<string, InstalledPackage | null>();
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'resolving' || args.path.startsWith('node:')) return undefined;
      const known = sdk && args.namespace === 'file' ? sdkEntryByNodeResolution(sdk, args.path, args.importer, installed) : undefined;
      if (known) return { path: known.path, namespace: SDK_NAMESPACE, pluginData: known.entry };
      const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
      if (resolved.errors.length) return { errors: resolved.errors };
      if (resolved.external || /\.[cm]?tsx?$/.test(resolved.path)) return { path: resolved.path, external: resolved.external };
      const entry = sdk && sdkEntryFor(sdk, args.path, resolved.path);
      if (entry !== undefined) return { path: resolved.path, namespace: SDK_NAMESPACE, pluginData: entry };
      return { path: resolved.path, external: true };
    });
    if (sdk) b.onLoad({ filter: /.*/, namespace: SDK_NAMESPACE }, (args) => ({ contents: sdkEntryModule(sdk, args.pluginData as string), loader: 'js' }));
  },
};
