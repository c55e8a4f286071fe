import { readFile } from 'node:fs/promises';
import { load as parseYaml } from 'js-yaml';
import { isScalar, parseDocument } from 'yaml';
import { placeholderText, secretFieldAt, type SecretUse } from '../emit/secret-slots.ts';
import { goTemplateText } from '../emit/alertmanager-templates.ts';
import { doubleQuoted } from '../emit/yaml-writer.ts';
import type { SecretRef } from '../model/types.ts';
import { DeployError } from './errors.ts';

/**
 * Neither Prometheus nor Alertmanager expands environment variables in its configuration. generated/ holds only
 * references: `*_file` paths, or a `"${NAME}"` / `"${file:/path}"` placeholder where the service has no file variant.
 * Deploy fills those placeholders here, by their path in the document as secrets.json lists them — never by looking
 * for placeholder-shaped text, which any definition can produce — and writes the values only into the copy on the
 * target (mode 0600).
 */
export interface SecretSource {
  env: NodeJS.ProcessEnv;
  readFile(path: string): Promise<string>;
}

export const processSecrets: SecretSource = { env: process.env, readFile: (p) => readFile(p, 'utf8') };

interface Materialised {
  content: string;
  /** Whether any secret value went in: then the file must be written with mode 0600. */
  holdsSecrets: boolean;
  /** Whether a lenient plan had to leave a secret out: then the file cannot be compared with the target's copy. */
  lacksSecrets: boolean;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Fills the secret slots secrets.json lists for `artifact`: each must be a double-quoted scalar holding exactly its
 * placeholder, in a field the service masks. Fails naming every missing secret, so nothing half-filled is written;
 * fails on a slot that does not match the document (a build altered after compiling), so nothing is read for it.
 */
export async function materialise(artifact: string, content: string, uses: readonly SecretUse[], source: SecretSource = processSecrets): Promise<Materialised> {
  const slots = uses.filter((u) => u.as === 'placeholder' && u.artifact === artifact);
  if (slots.length === 0) return { content, holdsSecrets: false, lacksSecrets: false };
  const doc = parseDocument(content, { version: '1.1', uniqueKeys: false });
  const altered = (why: string) =>
    new DeployError(`${artifact} does not match the secrets.json of its build: ${why}`, 'build again with `vigil build` from the definitions; a build whose files were edited by hand is never deployed', 'deploy/secret');
  if (doc.errors.length) throw altered(`it is not valid YAML (${doc.errors[0]!.message.split('\n')[0]})`);
  const edits: { start: number; end: number; ref: SecretRef; key: string; templated: boolean }[] = [];
  for (const slot of slots) {
    const at = slot.at;
    if (!Array.isArray(at) || at.length === 0 || !at.every((k) => typeof k === 'string' || (typeof k === 'number' && Number.isInteger(k) && k >= 0))) throw altered('a secret slot has no valid path');
    // By the whole path: a field of one name elsewhere (another integration's `token`, a basic_auth `password` that has a `*_file`) is not it.
    const secretField = secretFieldAt(at);
    if (!secretField) throw altered(`the secret slot ${at.join('.')} is not a field the service keeps secret`);
    const ref = refOf(slot);
    if (!ref) throw altered(`the secret slot ${at.join('.')} names no valid environment variable or absolute file`);
    const node = doc.getIn(at, true);
    const expected = placeholderText(ref);
    if (!isScalar(node) || node.type !== 'QUOTE_DOUBLE' || node.value !== expected || !node.range || content.slice(node.range[0], node.range[1]) !== JSON.stringify(expected)) {
      throw altered(`${at.join('.')} does not hold the placeholder ${JSON.stringify(expected)}`);
    }
    edits.push({ start: node.range[0], end: node.range[1], ref, key: expected, templated: secretField.templated });
  }
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const { ref, key } of edits) {
    if (values.has(key) || missing.includes(describe(ref))) continue;
    const value = await resolve(ref, source);
    if (value === undefined) missing.push(describe(ref));
    else values.set(key, value);
  }
  if (missing.length) {
    throw new DeployError(
      `${artifact} needs secrets that are not available here: ${missing.join(', ')}`,
      'set the environment variables (in CI: repository or environment secrets) or create the files, then deploy again',
      'deploy/secret',
    );
  }
  let filled = content;
  const lacksSecrets = [...values.values()].some(isUnavailable);
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
    const value = values.get(edit.key)!;
    filled = filled.slice(0, edit.start) + doubleQuoted(edit.templated ? goTemplateText(value) : value) + filled.slice(edit.end);
  }
  return { content: filled, holdsSecrets: true, lacksSecrets };
}

function refOf(use: SecretUse): SecretRef | undefined {
  if (typeof use.env === 'string' && use.file === undefined) return ENV_NAME.test(use.env) ? { env: use.env } : undefined;
  if (typeof use.file === 'string' && use.env === undefined) return use.file.startsWith('/') && !use.file.includes('\0') ? { file: use.file } : undefined;
  return undefined;
}

const describe = (ref: SecretRef) => (ref.env !== undefined ? `$${ref.env}` : `file ${ref.file}`);

async function resolve(ref: SecretRef, source: SecretSource): Promise<string | undefined> {
  if (ref.file !== undefined) {
    try {
      return (await source.readFile(ref.file)).replace(/\r?\n$/, '');
    } catch {
      return undefined;
    }
  }
  const v = source.env[ref.env!];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * The content of a secret file the deploy writes for an `{ env }` secret: without a trailing line break, since
 * Alertmanager 0.25 reads some `*_file` secrets (smtp_auth_password_file, …) byte for byte, and a value set with
 * `echo` or from a file (`$(cat …)` keeps none, CI secrets often one) would otherwise carry it into the password.
 */
export function secretFileContent(value: string): string {
  return value.replace(/\r?\n$/, '');
}

/**
 * Notes for the `{ file }` secrets Alertmanager reads itself whose file, where the deploy can read it, ends in a line
 * break: Alertmanager 0.25 takes that line break as part of the secret for its own `*_file` fields (the http_config
 * ones, read by Prometheus' common library, are trimmed). A file the deploy cannot read is the server's business.
 */
export async function secretFileLineBreakNotes(uses: readonly SecretUse[], source: SecretSource): Promise<string[]> {
  const notes: string[] = [];
  const checked = new Set<string>();
  for (const use of uses) {
    if (use.as !== 'file' || use.file === undefined || use.field.includes('http_config.')) continue;
    const key = `${use.file}\u0000${use.field}\u0000${use.receiver ?? ''}`;
    if (checked.has(key)) continue;
    checked.add(key);
    let content: string;
    try {
      content = await source.readFile(use.file);
    } catch {
      continue;
    }
    if (isUnavailable(content) || !/\n$/.test(content)) continue;
    const where = `${use.artifact ?? 'alertmanager.yml'}${use.receiver !== undefined ? `, receiver ${use.receiver}` : ''}, ${use.field}`;
    notes.push(
      `warning: ${where}: ${use.file} ends in a line break, which Alertmanager 0.25 reads as part of the secret; ` +
        `hint: write the file without one (printf %s "$SECRET" > ${use.file}, not echo)`,
    );
  }
  return notes;
}

/** A secret the deploy itself uses (Grafana token, InfluxDB password). */
export async function secretValue(ref: SecretRef, what: string, source: SecretSource = processSecrets): Promise<string> {
  const value = await resolve(ref, source);
  if (value === undefined) {
    throw new DeployError(
      `${what} is not available: ${ref.env ? `environment variable $${ref.env} is not set` : `cannot read ${ref.file}`}`,
      'set it (in CI: a repository or environment secret) and deploy again',
      'deploy/secret',
    );
  }
  return value;
}

/**
 * For `vigil plan` where deploy secrets are not available (a pull request): a missing secret that only goes into a
 * config file reads as a marker and is listed in `missing`; Alertmanager shows secrets as <secret> anyway.
 */
/** What a lenient plan puts where a secret is missing; a file holding it cannot be compared with the target's copy. */
const UNAVAILABLE_SECRET = '<not available to the plan>';

/** Whether a value is what a lenient plan put where a secret was missing (never text a definition wrote). */
export const isUnavailable = (value: string) => value === UNAVAILABLE_SECRET;

/** The plan's note for files a lenient plan could not fill, so could not compare with the target's copy. */
export function uncomparedNote(files: readonly string[]): string {
  return `not compared without the secrets: ${files.join(', ')} (a deploy with the secrets writes ${files.length === 1 ? 'it' : 'them'} if ${files.length === 1 ? 'it differs' : 'they differ'})`;
}

/**
 * Whether a file a lenient plan filled (`want`) equals the target's copy in everything but the secrets the plan lacked:
 * a value that is the "not available" marker matches any string there. Compared as YAML data, never printed.
 */
export function sameBesidesUnavailable(want: string, onDisk: string | null): boolean {
  if (onDisk === null) return false;
  let a: unknown;
  let b: unknown;
  try {
    a = parseYaml(want);
    b = parseYaml(onDisk);
  } catch {
    return false;
  }
  const same = (w: unknown, l: unknown): boolean => {
    if (typeof w === 'string' && isUnavailable(w)) return typeof l === 'string';
    if (Array.isArray(w)) return Array.isArray(l) && w.length === l.length && w.every((x, i) => same(x, l[i]));
    if (w !== null && typeof w === 'object') {
      if (l === null || typeof l !== 'object' || Array.isArray(l)) return false;
      const lk = Object.keys(l);
      return Object.keys(w).length === lk.length && Object.entries(w).every(([k, v]) => Object.hasOwn(l, k) && same(v, (l as Record<string, unknown>)[k]));
    }
    return w === l;
  };
  return same(a, b);
}

export function tolerantSecrets(source: SecretSource, missing: string[]): SecretSource {
  return {
    env: new Proxy(source.env, {
      get(target, key) {
        const v = target[key as string];
        if ((v === undefined || v === '') && typeof key === 'string') {
          if (!missing.includes(`$${key}`)) missing.push(`$${key}`);
          return UNAVAILABLE_SECRET;
        }
        return v;
      },
    }),
    async readFile(file) {
      try {
        return await source.readFile(file);
      } catch {
        if (!missing.includes(file)) missing.push(file);
        return UNAVAILABLE_SECRET;
      }
    },
  };
}

/** A source that remembers every value it hands out, so that whatever is printed afterwards can be masked. */
export function rememberingSecrets(source: SecretSource, seen: Set<string>): SecretSource {
  const keep = (v: string | undefined) => {
    if (v !== undefined && v !== UNAVAILABLE_SECRET && v !== '') {
      seen.add(v);
      seen.add(v.replace(/\r?\n$/, ''));
    }
    return v;
  };
  return {
    env: new Proxy(source.env, { get: (target, key) => keep(target[key as string]) }),
    readFile: async (file) => keep(await source.readFile(file))!,
  };
}

export const MASK = '<secret>';

/**
 * Replaces every known secret value inside every string of `data` (plan and deploy output: changes, notes, errors).
 * Longest first, so a secret that contains another is masked whole; also in the escaped forms YAML and JSON give it.
 */
export function maskSecrets<T>(data: T, secrets: ReadonlySet<string>): T {
  const needles = [...new Set([...secrets].flatMap((s) => [s, JSON.stringify(s).slice(1, -1), doubleQuoted(s).slice(1, -1)]))]
    .filter((s) => s.length > 0)
    .sort((a, b) => b.length - a.length);
  if (needles.length === 0) return data;
  const maskString = (text: string) => needles.reduce((t, n) => (t.includes(n) ? t.split(n).join(MASK) : t), text);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return maskString(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v instanceof Error) {
      v.message = maskString(v.message);
      return v;
    }
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(data) as T;
}

/**
 * For a plan of a build from elsewhere (a pull request's artifact): its secrets.json may name any variable or file;
 * only the secrets the trusted definitions also name are read, every other one is "not available" to the plan.
 */
export function onlySecretsOf(source: SecretSource, trusted: readonly { env?: string; file?: string }[]): SecretSource {
  const envs = new Set(trusted.flatMap((u) => (u.env !== undefined ? [u.env] : [])));
  const files = new Set(trusted.flatMap((u) => (u.file !== undefined ? [u.file] : [])));
  return {
    env: new Proxy(source.env, { get: (target, key) => (typeof key === 'string' && envs.has(key) ? target[key] : undefined) }),
    readFile: async (file) => {
      if (!files.has(file)) throw new Error(`${file} is not a secret the trusted definitions name`);
      return source.readFile(file);
    },
  };
}
