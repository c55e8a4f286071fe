// A vitest setup file of `npm run test:unit|integration`: the node processes a test starts inherit NODE_V8_COVERAGE
// and write their coverage there when they exit. Set inside the worker, not on vitest itself, so that the test
// workers (measured by vitest) do not also dump the coverage of everything they load.
if (process.env.VIGIL_SUBPROCESS_COVERAGE) process.env.NODE_V8_COVERAGE = process.env.VIGIL_SUBPROCESS_COVERAGE;
