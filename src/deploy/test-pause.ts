/**
 * Test-only, harmless otherwise: VIGIL_TEST_PAUSE_AFTER=<point>[,<point>…] makes a deploy print
 * `vigil-test-pause: <point>` on stderr when it reaches that point and wait there for the next SIGINT or SIGTERM (at
 * most 30 s), so a test can interrupt it at exactly that step. Points: `preflight` (files staged, before the tools
 * run), `applied:<target>` (written and reloaded, not yet verified), `verified:<target>`, `rollback` (before the
 * first target is restored), `rolled-back:<target>`. Without the variable — always, outside Vigil's own tests — this returns at once.
 */
export async function testPause(point: string): Promise<void> {
  const wanted = process.env.VIGIL_TEST_PAUSE_AFTER;
  if (!wanted || !wanted.split(',').includes(point)) return;
  process.stderr.write(`vigil-test-pause: ${point}\n`);
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    const timer = setTimeout(done, 30_000);
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
