// What a first visit costs: every response a page needs until it is interactive (the hydrated
// marker), with the cache empty and, optionally, a slow connection emulated through the DevTools
// protocol; each weighed as the server sends it gzip-compressed.
import { expect, Page } from '@playwright/test';
import { get } from 'node:http';

/// What the sign-in page and the settings screen may download before they are interactive,
/// gzip; each meets it with room to spare (README, *The browser bundle*: 374 to 376 KB measured).
export const FIRST_LOAD_TARGET_BYTES = 400 * 1024;

/// A slow mobile or hotel connection: 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency.
export const SLOW_CONNECTION = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1000 * 1000) / 8,
  uploadThroughput: (750 * 1000) / 8,
};

export interface FirstLoad {
  /// Milliseconds from the start of the navigation to the hydrated marker, by the page's clock.
  millis: number;
  /// The gzip body's bytes per path, in the order they finished.
  files: { path: string; bytes: number }[];
  total: number;
}

/// Loads `path` in `page` with the browser cache off, and weighs every response that finished
/// before the page became interactive.
export async function measureFirstLoad(
  page: Page,
  path: string,
  options: { slow?: boolean } = {},
): Promise<FirstLoad> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  if (options.slow) await cdp.send('Network.emulateNetworkConditions', SLOW_CONNECTION);
  const urls = new Map<string, string>();
  const loaded: string[] = [];
  let interactive = false;
  cdp.on('Network.responseReceived', (event) => urls.set(event.requestId, event.response.url));
  cdp.on('Network.loadingFinished', (event) => {
    const url = urls.get(event.requestId);
    // The icon is not needed to use the page.
    if (!interactive && url && !url.endsWith('/favicon.svg')) {
      loaded.push(url);
    }
  });
  await page.addInitScript(watchForHydration);
  await page.goto(path);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached({ timeout: 30_000 });
  // Read off the page's own clock: the assertion above polls at widening intervals (up to a
  // second), which is no measure.
  const millis = Math.round(await page.evaluate(() => (window as unknown as Watched).fwHydratedAt ?? NaN));
  interactive = true;
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  await cdp.detach();
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const files = [];
  for (const url of loaded) {
    files.push({ path: new URL(url).pathname, bytes: await gzipBytes(url, cookie) });
  }
  return { millis, files, total: files.reduce((sum, file) => sum + file.bytes, 0) };
}

interface Watched {
  fwWatching?: boolean;
  fwHydratedAt?: number;
}

/// Runs in the page before its own scripts: notes when the hydrated marker appears, in
/// milliseconds since the navigation started.
function watchForHydration() {
  const watched = window as unknown as Watched;
  if (watched.fwWatching) return;
  watched.fwWatching = true;
  new MutationObserver((_, observer) => {
    if (document.body?.dataset.hydrated === 'true') {
      watched.fwHydratedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
}

/// The body's length as the server sends it to a client that accepts only gzip (Node's client
/// does not decompress).
function gzipBytes(url: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': 'gzip', cookie } }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      response.on('end', () => resolve(bytes));
      response.on('error', reject);
    }).on('error', reject);
  });
}

/// The load in lines: the total, then each file (the wasm chunks of the lazy islands as one line).
export function describe(name: string, load: FirstLoad): string {
  const chunks = load.files.filter((file) => /\/(chunk|split)_[^/]*\.wasm$/.test(file.path));
  const lines = load.files
    .filter((file) => !chunks.includes(file))
    .map((file) => `  ${(file.bytes / 1024).toFixed(1).padStart(8)} KB  ${file.path}`);
  if (chunks.length > 0) {
    const bytes = chunks.reduce((sum, file) => sum + file.bytes, 0);
    lines.push(`  ${(bytes / 1024).toFixed(1).padStart(8)} KB  ${chunks.length} wasm chunks of the page`);
  }
  return [
    `${name}: ${(load.total / 1024).toFixed(1)} KB gzip before interactive ` +
      `(target ${FIRST_LOAD_TARGET_BYTES / 1024} KB), ${load.millis} ms`,
    ...lines,
  ].join('\n');
}
