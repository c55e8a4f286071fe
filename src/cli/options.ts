import type { ParseArgsConfig } from 'node:util';
import { closest } from '../util/closest.ts';
import { UsageError } from './io.ts';

/**
 * The --format values of each command. text and json everywhere; github (annotations on a pull request's diff) where
 * the output is definition problems; markdown where it is a plan, for a pull-request comment.
 */
export const FORMATS = {
  validate: ['text', 'json', 'github'],
  build: ['text', 'json', 'github'],
  test: ['text', 'json', 'github'],
  checks: ['text', 'json'],
  plan: ['text', 'json', 'markdown'],
  deploy: ['text', 'json'],
  import: ['text', 'json'],
} as const;

type Command = keyof typeof FORMATS;

/** The --format value, when it is one this command takes. */
export function formatOf<C extends Command>(command: C, values: Record<string, unknown>): (typeof FORMATS)[C][number] {
  const allowed: readonly string[] = FORMATS[command];
  const f = String(values.format ?? 'text');
  if (allowed.includes(f)) return f as (typeof FORMATS)[C][number];
  const others = Object.entries(FORMATS)
    .filter(([, formats]) => (formats as readonly string[]).includes(f))
    .map(([name]) => name);
  const where = others.length ? ` (only ${orList(others, 'and')} ${others.length === 1 ? 'does' : 'do'})` : '';
  throw new UsageError(`this command does not take --format ${JSON.stringify(f)}${where}; use ${orList(allowed, 'or')}`);
}

function orList(items: readonly string[], last: 'or' | 'and'): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} ${last} ${items.at(-1)}`;
}

/**
 * node:util parseArgs errors say "Unknown option '--formt'. To specify a positional argument …": this says which
 * option is unknown and which known one was probably meant.
 */
export function argumentProblem(e: { code?: string; message: string }, options: NonNullable<ParseArgsConfig['options']>): string | undefined {
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']*)'/.exec(e.message)?.[1] ?? '';
    const guess = closest(option.replace(/^-+/, ''), Object.keys(options));
    const known = Object.keys(options).map((n) => `--${n}`).sort().join(', ');
    return `unknown option ${option}${guess ? `; did you mean --${guess}?` : `; the options are ${known}`}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /'(-[^' ]*)/.exec(e.message)?.[1] ?? '';
    if (/argument missing/.test(e.message)) return `option ${option} needs a value (${option} VALUE or ${option}=VALUE)`;
    if (/does not take an argument/.test(e.message)) return `option ${option} is a switch and takes no value`;
  }
  if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) return e.message;
  return undefined;
}
