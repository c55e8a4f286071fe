import { main } from './main.ts';
import { processIO } from './io.ts';

/** The process entry: the only place that sets the exit code. */
// A closed pipe (`vigil validate | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
// A promise that failed after the command stopped waiting for it is a bug in Vigil: say so, without a stack trace.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`vigil: internal error: ${(reason as Error)?.message ?? String(reason)}\nThis is a bug in Vigil; please report it together with the command you ran.\n`);
  if (process.env.VIGIL_DEBUG) process.stderr.write(`${(reason as Error)?.stack}\n`);
  process.exit(2);
});
// No top-level await: the command line's bundle is a script (bin/vigil.js runs it with a V8 code cache).
void main(process.argv.slice(2), processIO()).then((code) => {
  process.exitCode = code;
});
