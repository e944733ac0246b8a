// How long the sign-in page and the settings screen take to become interactive on a slow
// connection (1.6 Mbit/s, 150 ms latency), with the cache empty; and what they download.
import { test, signIn } from '../tests/helpers';
import { describe, measureFirstLoad, SLOW_CONNECTION } from '../tests/first-load';

test('first load on a slow connection', async ({ page }) => {
  const rounds = Number(process.env.FW_BENCH_ROUNDS ?? 3);
  console.log(`throttled: ${(SLOW_CONNECTION.downloadThroughput * 8) / 1e6} Mbit/s down, ` +
    `${SLOW_CONNECTION.latency} ms latency; cache disabled; encodings as the browser asks (brotli where there is a copy)`);
  const measure = async (path: string) => {
    const millis: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const load = await measureFirstLoad(page, path, { slow: true });
      if (round === 0) console.log(describe(path, load));
      millis.push(load.millis);
    }
    millis.sort((a, b) => a - b);
    console.log(`${path}: interactive after ${millis.map((m) => `${m} ms`).join(', ')} ` +
      `(median ${millis[Math.floor(millis.length / 2)]} ms)\n`);
  };
  await measure('/login');
  await signIn(page);
  await measure('/admin/channels/feedback-webhooks');
  await measure('/admin/channels/feedback-webhooks/new');
});
