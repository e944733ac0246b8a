// The first visit: the sign-in page and the settings screen stay within their download budget,
// and the settings screen works when everything it needs comes over the network.
// Run against the release bundle, as the test command builds it (scripts/test.sh).
import { test, expect, hydrated, signIn } from './helpers';
import { describe, FIRST_LOAD_TARGET_BYTES, measureFirstLoad } from './first-load';

test('the sign-in page and the settings screen download no more than the target before they are interactive', async ({ page }) => {
  const loads = [];
  const login = await measureFirstLoad(page, '/login');
  loads.push({ path: '/login', load: login });
  // The sign-in page downloads the main module alone, none of the lazy islands' chunks.
  expect(login.files.filter((file) => /\.wasm$/.test(file.path))).toHaveLength(1);

  await signIn(page);
  for (const path of ['/admin/channels/feedback-webhooks', '/admin/channels/feedback-webhooks/new']) {
    loads.push({ path, load: await measureFirstLoad(page, path) });
  }
  for (const { path, load } of loads) console.log(describe(path, load));
  for (const { path, load } of loads) {
    expect(load.total, path).toBeLessThanOrEqual(FIRST_LOAD_TARGET_BYTES);
  }
});

test('after a cold load with the cache empty the settings screen checks, saves and lists a webhook', async ({ page }) => {
  await signIn(page);
  const load = await measureFirstLoad(page, '/admin/channels/feedback-webhooks/new');
  // The form's island came over the network in the main module, with no chunk to wait for.
  expect(load.files.filter((file) => /\.wasm$/.test(file.path))).toHaveLength(1);

  // The browser's own check answers at once (the URL read by the browser's parser).
  await page.getByLabel('Webhook name').fill('Cold load');
  await page.getByLabel('Webhook URL').fill('https://10.0.0.8/hook');
  await page.getByLabel('Webhook URL').blur();
  await expect(page.locator('#field-url-error')).toContainText('10.0.0.8');
  await page.getByLabel('Webhook URL').fill('https://user:pw@hooks.example.com/hook');
  await page.getByLabel('Webhook URL').blur();
  await expect(page.locator('#field-url-error')).toHaveText(/user name and password/);

  await page.getByLabel('Webhook URL').fill('https://hooks.example.com/cold-load');
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.getByText('Saved “Cold load”.')).toBeVisible();
  await expect(page.getByRole('row', { name: /Cold load/ })).toBeVisible();
  // The delivery history's island comes in chunks of its own, which that page fetches.
  await page.getByRole('link', { name: 'Delivery history' }).first().click();
  await expect(page.getByRole('heading', { name: 'Delivery history' })).toBeVisible();
  await hydrated(page);
});
