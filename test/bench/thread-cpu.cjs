// Preloaded into a timed `vigil` process by test/bench/build-bench.ts (NODE_OPTIONS=--require …): at its exit, appends
// one JSON line to the file VIGIL_BENCH_THREAD_CPU names, from Linux's per-thread scheduler statistics
// (/proc/self/task/<tid>/schedstat: nanoseconds on a CPU, nanoseconds waiting for one, time slices):
//   mainCpuMs    the main thread's time on a CPU (Vigil's own JavaScript, and the garbage collector's pauses),
//   mainWaitMs   its time runnable but waiting for a CPU: on two cores, behind V8's compiler and collector threads,
//   otherCpuMs   the other threads' CPU, ended ones too (V8's optimising compiles and concurrent marking, libuv's I/O):
//                the process's user and system time less the main thread's.
// Wall time ≈ mainCpuMs + mainWaitMs + the time the main thread waits for I/O. Elsewhere than Linux it writes nothing.
'use strict';
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');

// A worker thread gets the preload too (NODE_OPTIONS): only the process's main thread reports, once.
const out = isMainThread ? process.env.VIGIL_BENCH_THREAD_CPU : undefined;

function schedstat(tid) {
  const [onCpu, waiting] = fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return { onCpu, waiting };
}

if (out) {
  process.on('exit', () => {
    try {
      const main = schedstat(process.pid);
      // The process's CPU (getrusage: every thread's, those that have ended too) less the main thread's.
      const { user, system } = process.cpuUsage();
      const ms = (ns) => Math.round(ns / 1e6);
      const otherCpuMs = Math.max(0, Math.round((user + system) / 1000) - ms(main.onCpu));
      fs.appendFileSync(out, `${JSON.stringify({ mainCpuMs: ms(main.onCpu), mainWaitMs: ms(main.waiting), otherCpuMs })}\n`);
    } catch {
      // No /proc (not Linux): no figures.
    }
  });
}
