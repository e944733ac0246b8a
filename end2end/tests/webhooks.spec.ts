import { test, expect, hydrated, signIn } from './helpers';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const HMAC_SECRET = 'browser-test-secret-0123456789abcdef';

test('create a JWT webhook with two headers, list it, edit it, delete it', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'Create feedback webhook' }).first().click();
  await expect(page.getByRole('heading', { name: 'Basic configuration' })).toBeVisible();
  await hydrated(page);

  await page.getByLabel('Webhook name').fill('Orders feedback');
  await page.getByLabel('SMS').check();
  await page.getByLabel('Webhook URL').fill('https://hooks.example.com/feedback');

  // The JWT fields appear only once JWT is chosen.
  await expect(page.getByLabel('Signing algorithm')).toBeHidden();
  await page.getByLabel('JWT authentication').check();
  await expect(page.getByLabel('Signing algorithm')).toBeVisible();
  await page.getByLabel('Signing algorithm').selectOption('HS256');
  await page.getByLabel(/Shared secret/).fill(HMAC_SECRET);
  await page.getByLabel('Issuer (iss)').fill('feedback-webhooks');

  await page.getByRole('button', { name: 'Add header' }).click();
  await page.getByRole('button', { name: 'Add header' }).click();
  await page.getByLabel('Header name').nth(0).fill('X-Tenant');
  await page.getByLabel('Header value').nth(0).fill('acme');
  await page.getByLabel('Header name').nth(1).fill('X-Api-Key');
  await page.getByLabel('Header value').nth(1).fill('header-secret-value');
  await page.getByLabel('Secret', { exact: true }).nth(1).check();
  await page.getByRole('button', { name: 'Submit' }).click();

  await expect(page).toHaveURL(/\/admin\/channels\/feedback-webhooks\?saved=/);
  await expect(page.getByText('Saved “Orders feedback”.')).toBeVisible();
  const row = page.getByRole('row', { name: /Orders feedback/ });
  await expect(row).toContainText('Email');
  await expect(row).toContainText('SMS');
  await expect(row).toContainText('JWT (HS256)');
  await expect(row).toContainText('Enabled');

  // Edit: the secrets show as set, never their values; blank keeps them.
  await row.getByRole('link', { name: 'Edit' }).click();
  await expect(page.getByLabel('Webhook name')).toHaveValue('Orders feedback');
  await hydrated(page);
  await expect(page.getByText(/A key is set \(fingerprint/)).toBeVisible();
  await expect(page.getByLabel(/Shared secret/)).toHaveValue('');
  await expect(page.getByLabel('Header value').nth(1)).toHaveValue('');
  await expect(page.getByLabel('Header name')).toHaveCount(2);
  await page.getByRole('button', { name: 'Remove' }).first().click();
  await expect(page.getByLabel('Header name')).toHaveCount(1);
  // A signing secret is shown once, then only by its fingerprint.
  await page.getByRole('button', { name: 'Generate signing secret' }).click();
  await expect(page.getByText('Copy this secret now: it is not shown again.')).toBeVisible();
  await expect(page.locator('.secret-value')).toHaveText(/^whsec_[A-Za-z0-9+/=]{40,}$/);
  await expect(page.getByRole('button', { name: 'Rotate signing secret' })).toBeVisible();
  await page.getByLabel('Webhook name').fill('Orders feedback (prod)');
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.getByText('Saved “Orders feedback (prod)”.')).toBeVisible();
  expect(await page.content()).not.toContain(HMAC_SECRET);

  // Delete asks first, then removes the row in place.
  const edited = page.getByRole('row', { name: /Orders feedback \(prod\)/ });
  await edited.getByRole('link', { name: 'Delete' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText('Delete “Orders feedback (prod)”?');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await edited.getByRole('link', { name: 'Delete' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByText('Deleted “Orders feedback (prod)”.')).toBeVisible();
  // Other tests' webhooks may remain; this one is gone.
  await expect(page.getByRole('row', { name: /Orders feedback/ })).toHaveCount(0);
});

test('an http:// URL is refused next to the field and what was typed stays', async ({ page }) => {
  await signIn(page);
  await page.goto('/admin/channels/feedback-webhooks/new');
  await hydrated(page);
  await page.getByLabel('Webhook name').fill('Plain http');
  await page.getByLabel('Webhook URL').fill('http://hooks.example.com/feedback');
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.locator('#field-url-error')).toHaveText(
    'Use https://. Plain http:// is accepted only for allow-listed private addresses.');
  await expect(page.getByLabel('Webhook name')).toHaveValue('Plain http');
  await expect(page.getByLabel('Webhook URL')).toHaveValue('http://hooks.example.com/feedback');
  await expect(page).toHaveURL(/\/new$/);
});

test('the server refuses a duplicate name and keeps the form', async ({ page }) => {
  await signIn(page);
  for (const expectSaved of [true, false]) {
    await page.goto('/admin/channels/feedback-webhooks/new');
    await hydrated(page);
    await page.getByLabel('Webhook name').fill(expectSaved ? 'Bounces' : 'BOUNCES');
    await page.getByLabel('Webhook URL').fill('https://hooks.example.com/bounces');
    await page.getByRole('button', { name: 'Submit' }).click();
    if (expectSaved) await expect(page.getByText('Saved “Bounces”.')).toBeVisible();
  }
  await expect(page.locator('#field-name-error')).toHaveText('A webhook named “BOUNCES” already exists in this sandbox.');
  await expect(page.getByLabel('Webhook name')).toHaveValue('BOUNCES');
});

test('send a test event and read the answer inline', async ({ page }) => {
  // A real endpoint on loopback (allow-listed for this server), whose answers the test sets.
  const received: any[] = [];
  let answer = { status: 200, body: 'received, thanks' };
  const receiver = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push(JSON.parse(body));
      response.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  try {
    await signIn(page);
    await page.goto('/admin/channels/feedback-webhooks/new');
    await hydrated(page);
    await page.getByLabel('Webhook name').fill('Test target');
    await page.getByLabel('Webhook URL').fill(`http://127.0.0.1:${port}/hook`);
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect(page.getByText('Saved “Test target”.')).toBeVisible();
    await page.getByRole('row', { name: /Test target/ }).getByRole('link', { name: 'Edit' }).click();
    await hydrated(page);

    await page.getByRole('button', { name: 'Send test event' }).click();
    const result = page.locator('.test-result');
    await expect(result).toContainText('Delivered');
    await expect(result).toContainText('HTTP 200');
    await expect(result).toContainText('received, thanks');
    expect(received).toHaveLength(1);
    expect(received[0].requestId).toMatch(/^test-/);
    expect(received[0].eventType).toBe('message.feedback');
    await expect(result).toContainText(received[0].requestId);

    answer = { status: 503, body: 'maintenance' };
    await page.getByRole('button', { name: 'Send test event' }).click();
    await expect(result).toContainText('Failed');
    await expect(result).toContainText('HTTP 503');
    await expect(result).toContainText('The endpoint failed while handling the request (503).');
    await page.screenshot({ path: 'test-results/send-test-event.png', fullPage: true });
  } finally {
    receiver.close();
  }
});
