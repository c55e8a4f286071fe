import { main } from './main.ts';
import { processIO } from './io.ts';

/** The process entry: the only place that calls process.exit. */
const code = await main(process.argv.slice(2), processIO());
process.exitCode = code;
