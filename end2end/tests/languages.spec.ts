import { test, expect, hydrated } from './helpers';
import { admin } from '../playwright.config';
import type { Page } from '@playwright/test';

/// Signs in on the French sign-in page (the browser prefers French).
async function signInInFrench(page: Page) {
  await page.goto('/admin/channels/feedback-webhooks');
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await hydrated(page);
  await page.getByLabel('E-mail').fill(admin.email);
  await page.getByLabel('Mot de passe').fill(admin.password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('heading', { name: 'Paramètres webhook des commentaires' })).toBeVisible();
  await hydrated(page);
}

/// The layout holds: nothing wider than the window (no sideways scrolling).
async function expectNoSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

test.describe('in French', () => {
  test.use({ locale: 'fr-FR' });

  test('sign in, create a webhook with JWT and a header, see it listed, open its deliveries', async ({ page }) => {
    await signInInFrench(page);
    await page.getByRole('link', { name: 'Créer un webhook pour les commentaires' }).first().click();
    await expect(page.getByRole('heading', { name: 'Configuration de base' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Authentification' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Paramètres d’en-tête' })).toBeVisible();
    await hydrated(page);

    await page.getByLabel('Nom du webhook').fill('Commandes');
    await page.getByLabel('E-mail').check();
    await page.getByLabel('URL Webhook').fill('https://hooks.example.com/commandes');
    await expect(page.getByLabel('Pas d’authentification')).toBeChecked();
    await page.getByLabel('Authentification JWT').check();
    await page.getByLabel('Algorithme de signature').selectOption('HS256');
    await page.getByLabel(/Secret partagé/).fill('secret-de-test-0123456789abcdef-0123');
    await page.getByLabel('Émetteur (iss)').fill('feedback-webhooks');
    await page.getByRole('button', { name: 'Ajouter un en-tête' }).click();
    await page.getByLabel('Nom de l’en-tête').fill('X-Tenant');
    await page.getByLabel('Valeur de l’en-tête').fill('acme');
    await page.getByRole('button', { name: 'Envoyer' }).click();

    await expect(page).toHaveURL(/\/admin\/channels\/feedback-webhooks\?saved=/);
    await expect(page.getByText('«\u00a0Commandes\u00a0» enregistré.')).toBeVisible();
    const row = page.getByRole('row', { name: /Commandes/ });
    await expect(row).toContainText('JWT (HS256)');
    await expect(row).toContainText('Activé');
    await expect(row).toContainText('Aucune tentative');
    // Dates as French writes them, in UTC.
    await expect(row.locator('time')).toContainText(/\d{1,2} (janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) \d{4}/);
    await expect(row.locator('time')).toContainText(/\d{2}:\d{2} UTC/);

    await row.getByRole('link', { name: 'Envois' }).click();
    await expect(page).toHaveURL(/\/deliveries$/);
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(page.getByRole('navigation', { name: 'Fil d’Ariane' })).toContainText('Paramètres webhook des commentaires');
    await expect(page.getByRole('heading', { name: 'Envois de «\u00a0Commandes\u00a0»' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Aucun envoi pour l’instant' })).toBeVisible();
    await expect(page.getByLabel('État')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Exporter en CSV' })).toBeVisible();
    await expect(page).toHaveTitle('Envois · Feedback Webhooks');

    // The audit log names the change's fields in French.
    await page.goto('/admin/audit-log');
    const created = page.getByRole('row', { name: /webhook\.created.*Commandes/ }).first();
    await expect(created).toContainText('webhook\u00a0: Commandes');
    await expect(created).toContainText('activé\u00a0: oui');
    await expect(created).toContainText('authentification\u00a0: JWT (HS256)');
    await expect(created).toContainText('en-tête X-Tenant\u00a0: acme');
    await expect(created).toContainText('canaux\u00a0: E-mail');
    await expect(created).toContainText('événements\u00a0: Envoyés, Diffusés, Rebond, Erreurs');
  });

  test('a refused form says what is wrong in French and keeps what was typed', async ({ page }) => {
    await signInInFrench(page);
    await page.goto('/admin/channels/feedback-webhooks/new');
    await hydrated(page);
    await page.getByLabel('URL Webhook').fill('http://hooks.example.com/commandes');
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await expect(page.getByRole('alert')).toHaveText('Certains champs sont à corriger.');
    await expect(page.locator('#field-name-error')).toHaveText('Saisissez un nom de webhook.');
    await expect(page.locator('#field-url-error')).toHaveText(
      'Utilisez https://. Le simple http:// n’est accepté que pour les adresses privées autorisées.');
    await expect(page.getByLabel('URL Webhook')).toHaveValue('http://hooks.example.com/commandes');

    // What only the server can tell, in French too.
    await page.getByLabel('Nom du webhook').fill('Commandes');
    await page.getByLabel('URL Webhook').fill('https://hooks.example.com/autre');
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await expect(page.locator('#field-name-error')).toHaveText(
      'Un webhook nommé «\u00a0Commandes\u00a0» existe déjà dans cette sandbox.');
    await expect(page.getByLabel('Nom du webhook')).toHaveValue('Commandes');
  });

  test('the French form holds its layout at 1280 and 390 pixels', async ({ page }) => {
    await signInInFrench(page);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto('/admin/channels/feedback-webhooks/new');
      await hydrated(page);
      await page.getByLabel('Authentification JWT').check();
      await page.getByRole('button', { name: 'Ajouter un en-tête' }).click();
      await page.getByRole('button', { name: 'Envoyer' }).click();
      await expect(page.locator('#field-name-error')).toHaveText('Saisissez un nom de webhook.');
      await expectNoSidewaysScroll(page);
      await page.screenshot({ path: test.info().outputPath(`webhook-form-fr-${width}.png`), fullPage: true });
      await page.goto('/admin/channels/feedback-webhooks');
      await expectNoSidewaysScroll(page);
      await page.screenshot({ path: test.info().outputPath(`webhooks-fr-${width}.png`), fullPage: true });
    }
  });

  test('every other page holds its layout in French on a phone', async ({ page }) => {
    await signInInFrench(page);
    await page.setViewportSize({ width: 390, height: 900 });
    const pages: [string, string][] = [
      ['/admin/deliveries', 'Historique des envois'],
      ['/admin/campaigns', 'Campagnes'],
      ['/admin/campaigns/new', 'Créer une campagne'],
      ['/admin/api-credentials', 'Identifiants d’API'],
      ['/admin/sandboxes', 'Sandbox'],
      ['/admin/users', 'Utilisateurs'],
      ['/admin/audit-log', 'Journal d’audit'],
      ['/admin/account', 'Votre compte'],
    ];
    for (const [path, heading] of pages) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.getByRole('heading', { level: 1 })).toContainText(heading);
      await expectNoSidewaysScroll(page);
      const name = path.split('/').filter(Boolean).join('-');
      await page.screenshot({ path: test.info().outputPath(`${name}-fr-390.png`), fullPage: true });
    }
  });
});

test('the switcher changes the language of the same page, and the choice stays with the person', async ({ page }) => {
  // Before signing in: the sign-in page has it too, and the page comes back with its query.
  await page.goto('/login?next=%2Fadmin%2Fcampaigns');
  await hydrated(page);
  await page.getByRole('button', { name: 'Français' }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fcampaigns$/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(page.getByRole('button', { name: 'Se connecter' })).toBeVisible();
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();

  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Campaigns', exact: true })).toBeVisible();
  try {
    await page.goto('/admin/channels/feedback-webhooks/new');
    await hydrated(page);
    await page.getByRole('button', { name: 'Français' }).click();
    await expect(page).toHaveURL(/\/admin\/channels\/feedback-webhooks\/new$/);
    await expect(page.getByRole('heading', { name: 'Configuration de base' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Français' })).toHaveAttribute('aria-pressed', 'true');
    // Kept on the account: another browser that prefers English gets French once signed in.
    const other = await page.context().browser()!.newContext({ locale: 'en-US', baseURL: test.info().project.use.baseURL });
    const elsewhere = await other.newPage();
    await elsewhere.goto('/login');
    await expect(elsewhere.locator('html')).toHaveAttribute('lang', 'en');
    await hydrated(elsewhere);
    await elsewhere.getByLabel('Email').fill(admin.email);
    await elsewhere.getByLabel('Password').fill(admin.password);
    await elsewhere.getByRole('button', { name: 'Sign in' }).click();
    await expect(elsewhere.getByRole('heading', { name: 'Paramètres webhook des commentaires' })).toBeVisible();
    await other.close();
  } finally {
    // The other tests sign in as the same person, in English.
    await page.goto('/admin/channels/feedback-webhooks');
    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.getByRole('heading', { name: 'Feedback webhook settings' })).toBeVisible();
  }
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the switcher renders the same page again in the chosen language', async ({ page }) => {
    await page.goto('/login?next=%2Fadmin%2Fcampaigns');
    await page.getByRole('button', { name: 'Français' }).click();
    await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fcampaigns$/);
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(page.getByRole('button', { name: 'Se connecter' })).toBeVisible();
    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  });
});
