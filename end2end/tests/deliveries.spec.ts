import type { Page } from '@playwright/test';
import http from 'node:http';
import { readFileSync } from 'node:fs';
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

/**
 * A webhook "<name> hook" to `url` taking `sent`, a live campaign feeding it, and a credential;
 * `execute(requestId)` calls the execution API for one recipient and answers its status.
 */
async function liveCampaignTo(page: Page, name: string, url: string) {
  const saved = await call(page, 'webhooks/save', {
    'form[name]': `${name} hook`,
    'form[url]': url,
    'form[email]': 'on',
    'form[enabled]': 'on',
    'form[auth]': 'none',
    'form[event_sent]': 'on',
  });
  const webhookId = saved.Saved.id;
  const campaign = await call(page, 'campaigns/save', {
    'form[name]': `${name} campaign`,
    'form[channel]': 'email',
    'form[status]': 'live',
    'form[email_subject]': 'Hello',
    'form[email_body]': 'Hello {{profile.firstName}}',
    'form[webhook_enabled]': 'on',
    'form[webhook_id]': webhookId,
  });
  const credential = await call(page, 'credentials/create', {
    'form[name]': `${name} test`,
    'form[scope_execute]': 'on',
    'form[expires]': 'never',
  });
  const user = await call(page, 'session', {});
  const execute = async (requestId: string) => {
    const executed = await page.request.post('/im/executions/unitary', {
      headers: {
        authorization: `Bearer ${credential.token}`,
        'x-api-key': credential.credential.api_key,
        'x-gw-ims-org-id': user?.ims_org ?? 'default-org',
        'x-sandbox-name': user?.sandbox_name ?? 'prod',
      },
      data: {
        requestId,
        campaignId: campaign.Saved.id,
        recipients: [{ type: 'aep', userId: 'ada@example.com', namespace: 'email',
          channelData: { emailAddress: 'ada@example.com' }, profile: { firstName: 'Ada' } }],
      },
    });
    return executed.status();
  };
  return { webhookId, campaignId: campaign.Saved.id as string, execute };
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
    const { webhookId, execute } = await liveCampaignTo(page, 'History', `http://127.0.0.1:${port}/feedback`);
    expect(await execute('history-e2e-1')).toBe(202);

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

test('the history shows the queue: deliveries being sent while an endpoint is slow, then none', async ({ page }) => {
  // The endpoint holds every request until the test lets it answer.
  const held: http.ServerResponse[] = [];
  let holding = true;
  const receiver = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => (holding ? held.push(response) : response.writeHead(200).end('ok')));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  try {
    await signIn(page);
    const { execute } = await liveCampaignTo(page, 'Queue', `http://127.0.0.1:${port}/slow`);
    for (const n of [1, 2, 3]) {
      expect(await execute(`queue-e2e-${n}`)).toBe(202);
    }
    await page.goto('/admin/deliveries');
    await hydrated(page);
    const queue = page.getByRole('region', { name: 'Queue now' });
    await expect(queue).toBeVisible();
    // The page refreshes itself: the three held requests show as being sent.
    await expect(queue.locator('div', { hasText: 'Being sent' }).locator('dd')).toHaveText('3', { timeout: 15_000 });
    await expect(queue.locator('div', { hasText: 'Due' }).locator('dd')).toHaveText('0');
    await page.screenshot({ path: 'test-results/deliveries-queue.png', fullPage: true });

    // Answered: nothing left in the queue, without a reload.
    holding = false;
    held.splice(0).forEach((response) => response.writeHead(200).end('ok'));
    await expect(queue.locator('div', { hasText: 'Being sent' }).locator('dd')).toHaveText('0', { timeout: 15_000 });
  } finally {
    held.forEach((response) => response.destroy());
    receiver.close();
  }
});

test('export the failed deliveries, resend them all at once, read the executions, and enable a webhook its endpoint turned off', async ({ page }) => {
  let status = 503;
  const receiver = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(status).end(status === 200 ? 'ok' : 'no'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  try {
    await signIn(page);
    const { webhookId, campaignId, execute } = await liveCampaignTo(page, 'Bulk', `http://127.0.0.1:${port}/feedback`);
    for (const requestId of ['bulk-e2e-1', 'bulk-e2e-2']) expect(await execute(requestId)).toBe(202);

    await page.goto(`/admin/channels/feedback-webhooks/${webhookId}/deliveries?state=failed`);
    await hydrated(page);
    for (const requestId of ['bulk-e2e-1', 'bulk-e2e-2']) {
      await expect(page.getByRole('row', { name: new RegExp(requestId) })).toContainText('Failed', { timeout: 20_000 });
    }

    // The export downloads what the filters show.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    expect(await download.failure()).toBeNull();
    expect(csv[0]).toContain('request_id');
    expect(csv).toHaveLength(3);
    expect(csv.filter((line) => line.includes('bulk-e2e-1') && line.includes('failed'))).toHaveLength(1);
    expect(csv.filter((line) => line.includes('bulk-e2e-2') && line.includes('failed'))).toHaveLength(1);

    // Bulk resend: counted first, then confirmed; the endpoint is back, so both succeed.
    status = 200;
    await page.getByText('Resend failed deliveries').click();
    await page.getByLabel('Failed deliveries created since (UTC)').fill('2000-01-01T00:00');
    await page.getByRole('button', { name: 'Count' }).click();
    await expect(page).toHaveURL(/resend_since=/);
    await hydrated(page);
    await page.getByRole('button', { name: 'Resend 2 deliveries' }).click();
    await expect(page.getByText('Queued 2 failed deliveries for a new attempt.')).toBeVisible();
    await page.goto(`/admin/channels/feedback-webhooks/${webhookId}/deliveries`);
    await hydrated(page);
    for (const requestId of ['bulk-e2e-1', 'bulk-e2e-2']) {
      await expect(page.getByRole('row', { name: new RegExp(requestId) })).toContainText('Succeeded', { timeout: 20_000 });
    }

    // The campaign's executions: each call with its recipient and feedback.
    await page.goto(`/admin/campaigns/${campaignId}/executions`);
    await expect(page.getByRole('heading', { name: 'Executions of “Bulk campaign”' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'bulk-e2e-1' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'bulk-e2e-2' })).toBeVisible();
    await expect(page.locator('.execution').first()).toContainText('ada@example.com');

    // 410 Gone turns the webhook off, with the reason; Enable turns it back on.
    status = 410;
    expect(await execute('bulk-e2e-3')).toBe(202);
    await expect.poll(async () => {
      await page.goto(`/admin/channels/feedback-webhooks/${webhookId}`);
      return page.locator('.disabled-banner').count();
    }, { timeout: 20_000 }).toBe(1);
    await expect(page.locator('.disabled-banner')).toContainText('The endpoint answered 410 Gone');
    // The endpoint wants events again; the delivery that waited for the webhook goes out.
    status = 200;
    await hydrated(page);
    await page.getByRole('button', { name: 'Enable' }).click();
    await expect(page.locator('.disabled-banner')).toHaveCount(0);
    await page.goto(`/admin/channels/feedback-webhooks/${webhookId}/deliveries`);
    await expect(page.getByRole('row', { name: /bulk-e2e-3/ })).toContainText('Succeeded', { timeout: 20_000 });
    await page.goto('/admin/channels/feedback-webhooks');
    await expect(page.getByRole('row', { name: /Bulk hook/ })).toContainText('Enabled');
  } finally {
    receiver.close();
  }
});
