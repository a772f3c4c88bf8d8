import { expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, signIn, unique } from './helpers';

test('anonymous visitors are sent to sign-in, and a wrong password gets one generic error', async ({ page }) => {
  await page.goto('/explore');
  await expect(page).toHaveURL(/\/login\?next=\/explore$/);
  await hydrated(page);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('definitely-wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('login-error')).toHaveText('Invalid username or password.');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Back where the visitor wanted to go.
  await expect(page).toHaveURL(/\/explore$/);
  await expect(page.getByTestId('current-user')).toHaveText('admin');
});

test('create catalog → schema → model, register a version, and browse it', async ({ page }) => {
  const catalog = unique('prod');
  await signIn(page);
  await page.goto('/explore');
  await hydrated(page);

  // Catalog
  await page.getByRole('button', { name: 'New catalog' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill(catalog);
  await dialog.getByLabel('Description').fill('Production models');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(new RegExp(`/explore/${catalog}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(catalog);
  await expect(page.getByTestId('toast').first()).toContainText(`Catalog '${catalog}' created.`);

  // Schema
  await page.getByRole('button', { name: 'New schema' }).first().click();
  await page.getByRole('dialog').getByLabel('Name').fill('ml_team');
  await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(new RegExp(`/explore/${catalog}/ml_team$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`${catalog}.ml_team`);

  // Model
  await page.getByRole('button', { name: 'New model' }).first().click();
  await page.getByRole('dialog').getByLabel('Name').fill('fraud');
  await page.getByRole('dialog').getByLabel('Description').fill('Flags fraudulent payments');
  await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(new RegExp(`/explore/${catalog}/ml_team/fraud$`));
  await expect(page.getByTestId('model-name')).toHaveText(`${catalog}.ml_team.fraud`);
  await expect(page.getByText('No versions yet')).toBeVisible();

  // Version, registered by hand
  await page.getByRole('link', { name: 'Register version' }).first().click();
  await expect(page).toHaveURL(/\/versions\/new$/);
  await page.getByLabel('Source').fill('runs:/0a1b2c/model');
  await page.getByLabel('Run ID').fill('0a1b2c');
  await page.getByLabel('Signature inputs').fill('[{"name": "amount", "type": "double"}, {"name": "country", "type": "string", "required": false}]');
  await page.getByLabel('Signature outputs').fill('[{"type": "long"}]');
  await page.getByRole('button', { name: 'Register version' }).click();
  await expect(page).toHaveURL(new RegExp(`/explore/${catalog}/ml_team/fraud/versions/1$`));
  await expect(page.getByTestId('version-title')).toHaveText('fraud · Version 1');
  await expect(page.getByTestId('version-source')).toHaveText('runs:/0a1b2c/model');
  const inputs = page.getByTestId('signature-inputs');
  await expect(inputs.getByRole('row')).toHaveCount(3);
  await expect(inputs).toContainText('amount');
  await expect(inputs).toContainText('double');

  // The model page lists the version.
  await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'fraud' }).click();
  await expect(page.getByTestId('versions').getByRole('link', { name: 'Version 1' })).toBeVisible();

  // The tree shows the path to the current page, opened and highlighted.
  const tree = page.getByRole('tree');
  await expect(tree.locator('.row.current')).toHaveText(/fraud/);
  // Navigate through the tree: the catalog link opens the catalog page.
  await tree.getByRole('link', { name: catalog, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/explore/${catalog}$`));
  await expect(page.getByTestId('schemas').getByRole('link', { name: 'ml_team' })).toBeVisible();

  // Every page loaded directly renders on the server and then hydrates without errors.
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  for (const path of ['/explore', `/explore/${catalog}`, `/explore/${catalog}/ml_team`,
    `/explore/${catalog}/ml_team/fraud`, `/explore/${catalog}/ml_team/fraud/versions/1`,
    `/explore/${catalog}/ml_team/fraud/versions/new`, '/settings/tokens']) {
    await page.goto(path);
    await hydrated(page);
  }
  expect(errors).toEqual([]);
  await page.goto(`/explore/${catalog}/ml_team/fraud/versions/1`);
  await expect(page.getByTestId('version-title')).toHaveText('fraud · Version 1');
  await expect(page.getByRole('tree').locator('.row.current')).toHaveText(/fraud/);
  // A missing object is a real 404 page.
  const missing = await page.goto(`/explore/${catalog}/ml_team/nope`);
  expect(missing?.status()).toBe(404);
  await expect(page.getByTestId('not-found')).toContainText("Model '");
});

test('a bad name shows its error next to the field and creates nothing', async ({ page }) => {
  await signIn(page);
  await page.goto('/explore');
  await hydrated(page);
  await page.getByRole('button', { name: 'New catalog' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill('my catalog');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog.locator('.field .error').first()).toContainText("a space at position 3 is not allowed");
  await expect(dialog.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'my catalog' })).toHaveCount(0);
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page);
  await page.goto('/explore');
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/explore');
  await expect(page).toHaveURL(/\/login\?next=\/explore$/);
});

test('a personal access token is shown once, works for the API, and stops working when revoked', async ({ page, request }) => {
  await signIn(page);
  await page.goto('/settings/tokens');
  await hydrated(page);
  const name = unique('ci');
  await page.getByLabel('Token name').fill(name);
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.getByTestId('token-secret').textContent())!.trim();
  expect(secret).toMatch(/^qvp_/);
  await expect(page.getByRole('cell', { name, exact: true })).toBeVisible();

  const me = await request.get('/api/quiver/v1/me', { headers: { Authorization: `Bearer ${secret}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).username).toBe('admin');

  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: `Revoke ${name}` }).click();
  await expect(page.getByRole('cell', { name, exact: true })).toHaveCount(0);
  const after = await request.get('/api/quiver/v1/me', { headers: { Authorization: `Bearer ${secret}` } });
  expect(after.status()).toBe(401);
});
