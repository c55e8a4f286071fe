/**
 * What definition files import (`import { defineAlertRules } from 'vigil'`): the typed define* helpers and the spec
 * types, nothing heavier, so that loading a TypeScript definition stays fast. The compiler is `vigil/compiler`.
 */
export * from './spec/define.ts';
export type * from './spec/types.gen.ts';
export * from './runtime/index.ts';
