/** What the parts of `vigil import alertmanager` share while they read one configuration. */
import type { Diagnostic } from '../diagnostics.ts';
import type { AlertmanagerSource, ConfigPath } from './alertmanager-source.ts';
import { problem } from './alertmanager-source.ts';
import type { Renames } from './alertmanager-names.ts';
import type { SecretNames } from './alertmanager-secrets.ts';
import type { At } from './rule-sources.ts';

export type AlertmanagerNoteKind = 'mapped' | 'passthrough' | 'secret' | 'renamed' | 'by design' | 'review';

export interface AlertmanagerNote {
  kind: AlertmanagerNoteKind;
  message: string;
  at?: At;
}

export interface ImportContext {
  source: AlertmanagerSource;
  notes: AlertmanagerNote[];
  diagnostics: Diagnostic[];
  secrets: SecretNames;
  receivers: Renames;
  intervals: Renames;
}

export function note(ctx: ImportContext, kind: AlertmanagerNoteKind, message: string, path?: ConfigPath): void {
  ctx.notes.push({ kind, message, ...(path ? { at: ctx.source.at(path) } : {}) });
}

export function error(ctx: ImportContext, message: string, path: ConfigPath, hint?: string): void {
  ctx.diagnostics.push(problem(message, ctx.source.at(path), hint));
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;
