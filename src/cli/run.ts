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
const code = await main(process.argv.slice(2), processIO());
process.exitCode = code;
