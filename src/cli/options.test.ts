import { describe, expect, it } from 'vitest';
import { argumentProblem } from './options.ts';

const OPTIONS = { format: { type: 'string' as const }, check: { type: 'boolean' as const } };

describe('argumentProblem', () => {
  it('words node:util parseArgs errors for the user', () => {
    expect(argumentProblem({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION', message: "Unknown option '--chek'" }, OPTIONS)).toBe('unknown option --chek; did you mean --check?');
  });

  // Errors thrown by a command reach the same handler; what is not a parseArgs error is an internal error, not a crash.
  const others: [string, { code?: unknown; message: string }][] = [
    ['a DOMException with a numeric code (DataCloneError)', { code: 25, message: '() => {} could not be cloned.' }],
    ['a system error', { code: 'ENOENT', message: 'no such file' }],
    ['an error without a code', { message: 'boom' }],
    ['a code that is an object', { code: { nested: true }, message: 'odd' }],
  ];
  it.each(others)('%s is not an argument problem', (_name, error) => {
    expect(argumentProblem(error as { code?: string; message: string }, OPTIONS)).toBeUndefined();
  });
});
