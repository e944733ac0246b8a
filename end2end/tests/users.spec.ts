import { test, expect, hydrated, signIn } from './helpers';

test('an admin invites an editor, who sets a password through the link, edits a webhook the audit log shows, and is disabled', async ({ page, browser }) => {
  const email = `editor-${Date.now()}@example.com`;
  const hookName = `Audited ${Date.now()}`;
  await signIn(page);
  const saved = await page.request.post('/api/webhooks/save', {
    headers: { Accept: 'application/json' },
    form: {
      'form[name]': hookName, 'form[url]': 'https://hooks.example.com/before',
      'form[auth]': 'none', 'form[email]': 'on', 'form[event_sent]': 'on', 'form[enabled]': 'on',
    },
  });
  expect(saved.status()).toBe(200);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible();
  await hydrated(page);

  // The last administrator stays one: the refusal is said, and the menu shows the role kept.
  const me = page.getByRole('row', { name: /admin@example\.com/ });
  await me.getByLabel(/Role of/).selectOption('viewer');
  await expect(page.getByRole('alert')).toContainText('last active administrator');
  await expect(me.getByLabel(/Role of/)).toHaveValue('admin');

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption('editor');
  await page.getByRole('button', { name: 'Invite' }).click();
  await expect(page.getByText(`Copy the invitation for ${email} now`)).toBeVisible();
  const link = (await page.locator('.link-once').textContent())!.trim();
  expect(link).toMatch(/\/set-password\?token=[A-Za-z0-9_-]{43}$/);
  const row = page.getByRole('row', { name: new RegExp(email.replace('.', '\\.')) });
  await expect(row).toContainText('Invited');
  await page.screenshot({ path: 'test-results/users-invited.png', fullPage: true });

  // The editor, in a browser of their own.
  const editorContext = await browser.newContext();
  const editor = await editorContext.newPage();
  await editor.goto(link);
  await expect(editor.getByRole('heading', { name: 'Set your password' })).toBeVisible();
  await hydrated(editor);
  await expect(editor.getByLabel('Email')).toHaveValue(email);
  await editor.getByLabel('New password').fill('password1234');
  await editor.getByLabel('Confirm password').fill('password1234');
  await editor.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(editor.getByText('among the first ones guessed')).toBeVisible();
  await editor.getByLabel('New password').fill('lanterns over a quiet harbour');
  await editor.getByLabel('Confirm password').fill('lanterns over a quiet harbour');
  await editor.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(editor.getByRole('heading', { name: 'Feedback webhook settings' })).toBeVisible();
  await hydrated(editor);
  // An editor has no Users page to go to.
  await expect(editor.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' })).toHaveCount(0);

  // The editor changes the webhook's URL; its page then names them as the last to change it.
  await editor.getByRole('row', { name: new RegExp(hookName) }).getByRole('link', { name: 'Edit', exact: true }).click();
  await expect(editor.getByRole('heading', { name: 'Basic configuration' })).toBeVisible();
  await hydrated(editor);
  await editor.getByLabel('Webhook URL').fill('https://hooks.example.com/after');
  await editor.getByRole('button', { name: 'Submit' }).click();
  await expect(editor).toHaveURL(/\/admin\/channels\/feedback-webhooks\?saved=/);
  await editor.getByRole('row', { name: new RegExp(hookName) }).getByRole('link', { name: 'Edit', exact: true }).click();
  await expect(editor.getByText(`Last changed by ${email}`)).toBeVisible();
  // Only administrators are offered the history.
  await expect(editor.getByRole('link', { name: 'History', exact: true })).toHaveCount(0);

  // Their account: this session, listed by its browser; a wrong current password is said.
  await editor.getByRole('link', { name: new RegExp(email.replace('.', '\\.')) }).click();
  await expect(editor.getByRole('heading', { name: 'Your account' })).toBeVisible();
  await hydrated(editor);
  await expect(editor.getByRole('row', { name: /this session/ })).toBeVisible();
  await editor.getByLabel('Current password').fill('not the password at all');
  await editor.getByLabel('New password', { exact: true }).fill('a second long phrase of mine');
  await editor.getByLabel('Confirm new password').fill('a second long phrase of mine');
  await editor.getByRole('button', { name: 'Change password' }).click();
  await expect(editor.getByText('This is not your current password.')).toBeVisible();
  await editor.screenshot({ path: 'test-results/users-account.png', fullPage: true });

  // The link worked once.
  const late = await browser.newContext();
  const again = await late.newPage();
  await again.goto(link);
  await expect(again.getByText('This link has been used')).toBeVisible();
  await late.close();

  // The admin finds the editor's change in the audit log, field by field, under their name.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  await hydrated(page);
  const change = page.getByRole('row', { name: new RegExp(`${email.replace('.', '\\.')}.*webhook\\.updated`) });
  await expect(change).toHaveCount(1);
  await expect(change).toContainText(hookName);
  await expect(change).toContainText('url: https://hooks.example.com/before → https://hooks.example.com/after');
  await page.screenshot({ path: 'test-results/audit-log.png', fullPage: true });
  // The object's link narrows the log to that webhook's own history.
  await change.getByRole('link', { name: hookName }).click();
  await expect(page).toHaveURL(/object_kind=webhook&object_id=/);
  await expect(page.getByRole('row', { name: /webhook\.(created|updated)/ })).toHaveCount(2);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible();

  // The admin sees them active, then disables them: their session ends at once.
  await page.reload();
  await hydrated(page);
  await expect(row).toContainText('Active');
  page.once('dialog', (dialog) => dialog.accept());
  await row.getByRole('button', { name: 'Disable' }).click();
  await expect(row).toContainText('Disabled');
  await page.screenshot({ path: 'test-results/users-disabled.png', fullPage: true });
  await editor.goto('/admin/channels/feedback-webhooks');
  await expect(editor).toHaveURL(/\/login\?next=/);
  await editorContext.close();
});

test('a viewer sees no Create or Submit, and a direct save is refused', async ({ page, browser }) => {
  const email = `viewer-${Date.now()}@example.com`;
  await signIn(page);
  const saved = await page.request.post('/api/webhooks/save', {
    headers: { Accept: 'application/json' },
    form: {
      'form[name]': `Viewed ${Date.now()}`, 'form[url]': 'https://hooks.example.com/viewed',
      'form[auth]': 'none', 'form[email]': 'on', 'form[event_sent]': 'on', 'form[enabled]': 'on',
    },
  });
  expect(saved.status()).toBe(200);
  const invited = await page.request.post('/api/users/invite', {
    headers: { Accept: 'application/json' },
    form: { 'form[email]': email, 'form[role]': 'viewer' },
  });
  expect(invited.status()).toBe(200);
  const link = (await invited.json()).path as string;

  const context = await browser.newContext();
  const viewer = await context.newPage();
  await viewer.goto(link);
  await hydrated(viewer);
  await viewer.getByLabel('New password').fill('a viewer reads everything');
  await viewer.getByLabel('Confirm password').fill('a viewer reads everything');
  await viewer.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(viewer.getByRole('heading', { name: 'Feedback webhook settings' })).toBeVisible();
  await hydrated(viewer);
  await expect(viewer.getByRole('link', { name: 'Create feedback webhook' })).toHaveCount(0);
  const nav = viewer.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'API credentials' })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Users' })).toHaveCount(0);
  await viewer.getByRole('link', { name: 'View', exact: true }).first().click();
  await expect(viewer.getByRole('heading', { name: 'Basic configuration' })).toBeVisible();
  await hydrated(viewer);
  await expect(viewer.getByRole('button', { name: 'Submit' })).toHaveCount(0);
  await expect(viewer.getByRole('link', { name: 'Back', exact: true })).toBeVisible();
  await viewer.screenshot({ path: 'test-results/viewer-webhook.png', fullPage: true });

  const refused = await viewer.request.post('/api/webhooks/save', {
    headers: { Accept: 'application/json' },
    form: { 'form[name]': 'Not mine to make', 'form[url]': 'https://hooks.example.com/x', 'form[auth]': 'none' },
  });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toBe('Forbidden');
  await context.close();
});
