import { test, expect } from './helpers';
import { admin } from '../playwright.config';

// The pages and forms work from the server alone: every form posts and the answer is a page.
test.use({ javaScriptEnabled: false });

const SECRET = 'no-script-secret-0123456789abcdefgh';

test('without JavaScript: sign in, a refused form keeps what was typed, a JWT webhook with a header is saved, listed and opened', async ({ page }) => {
  await page.goto('/admin/channels/feedback-webhooks');
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Feedback webhook settings' })).toBeVisible();
  // Really without the app: nothing hydrated the page.
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(0);

  await page.getByRole('link', { name: 'Create feedback webhook' }).first().click();
  await page.getByLabel('Webhook name').fill('No-script feedback');
  await page.getByLabel('Webhook URL').fill('http://hooks.example.com/no-script');
  // A header row is added by the server, which sends the form back with what was typed.
  await page.getByRole('button', { name: 'Add header' }).click();
  await expect(page.getByLabel('Header name')).toHaveCount(1);
  await expect(page.getByLabel('Webhook name')).toHaveValue('No-script feedback');
  await page.getByLabel('Header name').fill('X-Tenant');
  await page.getByLabel('Header value').fill('acme');
  // The JWT fields show once JWT is chosen, by the style sheet alone.
  await expect(page.getByLabel('Signing algorithm')).toBeHidden();
  await page.getByLabel('JWT authentication').check();
  await expect(page.getByLabel('Signing algorithm')).toBeVisible();
  await page.getByLabel('Signing algorithm').selectOption('HS256');
  await page.getByLabel(/Shared secret/).fill(SECRET);
  await page.getByLabel('Issuer (iss)').fill('feedback-webhooks');
  await page.getByRole('button', { name: 'Submit' }).click();

  // Refused: the error next to the field, the form as typed (the secret is never sent back).
  await expect(page.locator('#field-url-error')).toHaveText(
    'Use https://. Plain http:// is accepted only for allow-listed private addresses.');
  await expect(page.getByLabel('Webhook name')).toHaveValue('No-script feedback');
  await expect(page.getByLabel('Webhook URL')).toHaveValue('http://hooks.example.com/no-script');
  await expect(page.getByLabel('Header name')).toHaveValue('X-Tenant');
  await expect(page.getByLabel('Header value')).toHaveValue('acme');
  await expect(page.getByLabel('JWT authentication')).toBeChecked();
  expect(await page.content()).not.toContain(SECRET);

  await page.getByLabel('Webhook URL').fill('https://hooks.example.com/no-script');
  if ((await page.getByLabel(/Shared secret/).inputValue()) === '') {
    await page.getByLabel(/Shared secret/).fill(SECRET);
  }
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/admin\/channels\/feedback-webhooks\?saved=/);
  await expect(page.getByText('Saved “No-script feedback”.')).toBeVisible();
  await expect(page.locator('.loading')).toHaveCount(0);
  const row = page.getByRole('row', { name: /No-script feedback/ });
  await expect(row).toContainText('JWT (HS256)');
  await expect(row).toContainText('Enabled');

  await row.getByRole('link', { name: 'Edit' }).click();
  await expect(page.getByLabel('Header name')).toHaveValue('X-Tenant');
  await page.getByRole('link', { name: 'Deliveries' }).first().click();
  await expect(page.getByRole('heading', { name: 'Deliveries of “No-script feedback”' })).toBeVisible();
  // The list's answer is in the page, not a loading placeholder left for a script.
  await expect(page.getByRole('heading', { name: 'No deliveries yet' })).toBeVisible();
  await expect(page.locator('.loading')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/no-javascript-deliveries.png', fullPage: true });
});
