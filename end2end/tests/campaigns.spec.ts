import { test, expect, hydrated, signIn } from './helpers';

test('create a live campaign and activate its feedback webhook in Audience', async ({ page }) => {
  await signIn(page);
  // A webhook for email only, and one for SMS only: the Audience offers what fits the channel.
  for (const [name, channel] of [['Campaign mail hook', 'Email'], ['Campaign SMS hook', 'SMS']]) {
    await page.goto('/admin/channels/feedback-webhooks/new');
    await hydrated(page);
    await page.getByLabel('Webhook name').fill(name);
    if (channel === 'SMS') {
      await page.getByLabel('Email').uncheck();
      await page.getByLabel('SMS').check();
    }
    await page.getByLabel('Webhook URL').fill('https://hooks.example.com/campaigns');
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect(page.getByText(`Saved “${name}”.`)).toBeVisible();
  }

  await page.getByRole('link', { name: 'Campaigns' }).click();
  await expect(page.getByRole('heading', { name: 'Campaigns', exact: true })).toBeVisible();
  await page.getByRole('link', { name: 'Create campaign' }).first().click();
  await expect(page.getByRole('heading', { name: 'Audience' })).toBeVisible();
  await hydrated(page);

  await page.getByLabel('Campaign name').fill('Order shipped');
  await page.getByLabel('Live').check();
  await page.getByLabel('Subject').fill('Your {{context.product}} is on its way');
  await page.getByLabel('Body').fill('Hello {{profile.firstName}}, it ships today.');

  // Switch on without choosing: refused next to the select.
  await page.getByLabel('Enable feedback webhook').check();
  const select = page.getByLabel('Feedback webhook', { exact: true });
  await expect(select.locator('option')).toHaveText(['Choose a webhook', 'Campaign mail hook']);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.locator('#field-webhook-id-error')).toContainText('Choose a feedback webhook');
  await select.selectOption({ label: 'Campaign mail hook' });
  await page.getByRole('button', { name: 'Submit' }).click();

  await expect(page).toHaveURL(/\/admin\/campaigns\?saved=/);
  await expect(page.getByText('Saved “Order shipped”.')).toBeVisible();
  const row = page.getByRole('row', { name: /Order shipped/ });
  await expect(row).toContainText('Email');
  await expect(row).toContainText('Live');
  await expect(row).toContainText('Campaign mail hook');
  await page.screenshot({ path: 'test-results/campaigns-list.png', fullPage: true });

  // Reopened, the switch and the choice are kept; SMS offers only the SMS webhook.
  await row.getByRole('link', { name: 'Edit' }).click();
  await hydrated(page);
  await expect(page.getByLabel('Enable feedback webhook')).toBeChecked();
  await expect(select).toHaveValue(/[0-9a-f-]{36}/);
  await expect(select.locator('option:checked')).toHaveText('Campaign mail hook');
  await page.screenshot({ path: 'test-results/campaign-form.png', fullPage: true });
  await page.getByLabel('SMS', { exact: true }).check();
  await expect(select.locator('option')).toHaveText(['Choose a webhook', 'Campaign SMS hook']);
});

test('create an API credential: the token is shown once, then revoke it', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'API credentials' }).click();
  await hydrated(page);
  await page.getByLabel('Name').fill('Order service');
  await page.getByRole('button', { name: 'Create credential' }).click();
  await expect(page.getByText('Copy the token now: it is not shown again.')).toBeVisible();
  await expect(page.locator('.secret-value.token')).toHaveText(/^fwt_[A-Za-z0-9_-]{43}$/);
  const row = page.getByRole('row', { name: /Order service/ });
  await expect(row).toContainText('Active');
  await expect(row).toContainText('Never');
  await page.screenshot({ path: 'test-results/credentials.png', fullPage: true });
  page.once('dialog', (dialog) => dialog.accept());
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(row).toContainText('Revoked');
  await page.reload();
  await expect(page.getByRole('row', { name: /Order service/ })).toContainText('Revoked');
  await expect(page.locator('.secret-value.token')).toHaveCount(0);
});

test('create a sandbox and switch to it from the top bar', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'Sandboxes' }).click();
  await hydrated(page);
  await page.getByLabel('Name').fill('dev-eu');
  await page.getByRole('button', { name: 'Create sandbox' }).click();
  // The page is loaded afresh, the top bar's menu with it.
  await expect(page.getByRole('row', { name: /dev-eu/ })).toBeVisible();
  await hydrated(page);
  await page.locator('#sandbox-select').selectOption({ label: 'dev-eu' });
  await expect(page.getByRole('row', { name: /dev-eu/ })).toContainText('Current');
  await page.screenshot({ path: 'test-results/sandboxes.png', fullPage: true });
  await page.getByRole('link', { name: 'Feedback webhook settings' }).click();
  await expect(page.getByText('No feedback webhooks yet')).toBeVisible();
  await expect(page.locator('#sandbox-select option:checked')).toHaveText('dev-eu');
  await page.locator('#sandbox-select').selectOption({ label: 'prod' });
  await expect(page.locator('#sandbox-select option:checked')).toHaveText('prod');
  await expect(page.getByRole('heading', { name: 'Feedback webhook settings' })).toBeVisible();
});

test('the API reference page renders the OpenAPI document', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'API reference' }).click();
  await expect(page.getByRole('heading', { name: 'Feedback Webhooks API' })).toBeVisible();
  await expect(page.locator('.operation', { hasText: '/im/executions/unitary' })).toContainText('POST');
  await expect(page.locator('.operation', { hasText: '/api/v1/webhooks/{id}' }).first()).toBeVisible();
  await page.locator('summary', { hasText: 'WebhookInput' }).click();
  await expect(page.locator('#schema-WebhookInput pre')).toContainText('"channels"');
  await page.screenshot({ path: 'test-results/api-reference.png' });
});
