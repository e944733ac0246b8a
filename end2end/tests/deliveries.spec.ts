import type { Page } from '@playwright/test';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { test, expect, hydrated, signIn } from './helpers';

/** Calls a server function as the hydrated app does, with the page's session. */
async function call(page: Page, endpoint: string, form: Record<string, string>) {
  const response = await page.request.post(`/api/${endpoint}`, {
    form,
    headers: { accept: 'application/json' },
  });
  expect(response.status(), endpoint).toBe(200);
  return response.json();
}

test('find a failed delivery, open it, resend it and watch the new attempt arrive', async ({ page }) => {
  // The endpoint is down until the test brings it back.
  let status = 503;
  const receiver = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(status).end(status === 200 ? 'ok' : 'down'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  try {
    await signIn(page);
    const saved = await call(page, 'webhooks/save', {
      'form[name]': 'History hook',
      'form[url]': `http://127.0.0.1:${port}/feedback`,
      'form[email]': 'on',
      'form[enabled]': 'on',
      'form[auth]': 'none',
      'form[event_sent]': 'on',
    });
    const webhookId = saved.Saved.id;
    const campaign = await call(page, 'campaigns/save', {
      'form[name]': 'History campaign',
      'form[channel]': 'email',
      'form[status]': 'live',
      'form[email_subject]': 'Hello',
      'form[email_body]': 'Hello {{profile.firstName}}',
      'form[webhook_enabled]': 'on',
      'form[webhook_id]': webhookId,
    });
    const credential = await call(page, 'credentials/create', {
      'form[name]': 'History test',
      'form[scope_execute]': 'on',
      'form[expires]': 'never',
    });
    const user = await call(page, 'session', {});
    const executed = await page.request.post('/im/executions/unitary', {
      headers: {
        authorization: `Bearer ${credential.token}`,
        'x-api-key': credential.credential.api_key,
        'x-gw-ims-org-id': user?.ims_org ?? 'default-org',
        'x-sandbox-name': user?.sandbox_name ?? 'prod',
      },
      data: {
        requestId: 'history-e2e-1',
        campaignId: campaign.Saved.id,
        recipients: [{ type: 'aep', userId: 'ada@example.com', namespace: 'email',
          channelData: { emailAddress: 'ada@example.com' }, profile: { firstName: 'Ada' } }],
      },
    });
    expect(executed.status()).toBe(202);

    // The webhook's deliveries, filtered to failed: the row shows up once its attempts ran out.
    await page.goto(`/admin/channels/feedback-webhooks/${webhookId}/deliveries`);
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'Deliveries of “History hook”' })).toBeVisible();
    await page.getByLabel('State').selectOption('failed');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/state=failed/);
    await hydrated(page);
    const row = page.getByRole('row', { name: /history-e2e-1/ });
    await expect(row).toBeVisible({ timeout: 20_000 });
    await expect(row).toContainText('Failed');
    await expect(row).toContainText('HTTP 503');
    await page.screenshot({ path: 'test-results/deliveries-failed.png', fullPage: true });

    await row.getByRole('link', { name: 'sent' }).click();
    await expect(page.getByRole('heading', { name: /Delivery of sent to History hook/ })).toBeVisible();
    await hydrated(page);
    await expect(page.locator('.attempt')).toHaveCount(2);
    await expect(page.locator('.payload')).toContainText('"requestId": "history-e2e-1"');

    // Back up, resend: the new attempt appears on this page without a reload.
    status = 200;
    await page.evaluate(() => ((window as any).__sameDocument = true));
    await page.getByRole('button', { name: 'Resend' }).click();
    await expect(page.getByText('Queued: a new attempt starts now')).toBeVisible();
    await expect(page.locator('.attempt')).toHaveCount(3);
    await expect(page.locator('.attempt').first()).toContainText('Attempt 3');
    await expect(page.locator('.attempt').first()).toContainText('HTTP 200');
    await expect(page.locator('.facts .state')).toHaveText('Succeeded');
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    await page.screenshot({ path: 'test-results/delivery-resent.png', fullPage: true });
  } finally {
    receiver.close();
  }
});
