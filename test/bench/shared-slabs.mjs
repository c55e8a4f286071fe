// Are SharedArrayBuffer slabs that are let go collected? (issue #13 §5: V8 does not count them as external memory.)
// 400 slabs of 8 MB, each touched, at most 4 alive, JUNK small objects made beside each (2,000 by default); RSS shown
// every 100. Run: node test/bench/shared-slabs.mjs sab|buffer, with JUNK=20 or JUNK=0 for a quieter service.
const kind = process.argv[2] ?? 'sab';
const junkPerSlab = Number(process.env.JUNK ?? 2000);
const slabMb = 8;
const alive = [];
let peakRss = 0;
for (let i = 0; i < 400; i++) {
  const bytes = kind === 'sab' ? Buffer.from(new SharedArrayBuffer(slabMb << 20)) : Buffer.allocUnsafeSlow(slabMb << 20);
  bytes.fill(i & 0xff);
  alive.push(bytes);
  if (alive.length > 4) alive.shift();
  const junk = [];
  for (let j = 0; j < junkPerSlab; j++) junk.push({ j, s: `x${j}` });
  const { rss, arrayBuffers } = process.memoryUsage();
  peakRss = Math.max(peakRss, rss);
  if (i % 100 === 99) console.log(`${kind}, ${junkPerSlab} objects a slab, ${(i + 1) * slabMb} MB allocated: RSS ${(rss / 2 ** 20).toFixed(0)} MB, array buffers ${(arrayBuffers / 2 ** 20).toFixed(0)} MB`);
}
console.log(`${kind}, ${junkPerSlab} objects a slab: peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB (32 MB alive)`);
