import { Browser, expect, Page, test } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, seedModel, signIn, unique } from './helpers';

const PASSWORD = 'correct horse battery staple';

async function grantOn(page: Page, principal: string, privileges: string[]) {
  const form = page.getByTestId('grant-form');
  await form.getByLabel('Principal').fill(principal);
  for (const p of privileges) await form.getByLabel(p, { exact: true }).check();
  await form.getByRole('button', { name: 'Grant' }).click();
  await expect(page.getByTestId('toast').last()).toContainText('Permissions updated.');
}

async function asUser(browser: Browser, username: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, username, PASSWORD);
  return { page, context };
}

test('an admin grants a group EXECUTE on a schema, then MANAGE on a model; the user sees what it allows and why', async ({ page, browser, request }) => {
  await signIn(page);
  const catalog = unique('gov');
  const user = unique('dana');
  const group = unique('team');
  const path = await seedModel(page, catalog, 'fraud', 1);

  // Admin pages: a user and a group with that user in it.
  await page.goto('/admin');
  await hydrated(page);
  const create = page.getByTestId('create-user');
  await create.getByLabel('Username').fill(user);
  await create.getByLabel('Password').fill(PASSWORD);
  await create.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByTestId('users')).toContainText(user);
  const newGroup = page.getByTestId('create-group');
  await newGroup.getByLabel('Group name').fill(group);
  await newGroup.getByRole('button', { name: 'Create group' }).click();
  const row = page.locator(`tr[data-group="${group}"]`);
  await row.getByLabel(`New member of ${group}`).fill(user);
  await row.getByRole('button', { name: 'Add' }).click();
  await expect(row).toContainText(user);

  // USE CATALOG on the catalog; USE SCHEMA and EXECUTE on the schema, to the group.
  await page.goto(`/explore/${catalog}`);
  await hydrated(page);
  await page.getByTestId('permissions-section').locator('summary').click();
  await grantOn(page, group, ['USE CATALOG']);
  await page.goto(`/explore/${catalog}/ml_team`);
  await hydrated(page);
  await page.getByTestId('permissions-section').locator('summary').click();
  await grantOn(page, group, ['USE SCHEMA', 'EXECUTE']);
  await expect(page.getByTestId('grants')).toContainText('EXECUTE');

  // The user reads the model, but may not set an alias: the control says why.
  const dana = await asUser(browser, user);
  await dana.page.goto(`${path}?tab=aliases`);
  await hydrated(dana.page);
  await expect(dana.page.getByTestId('model-name')).toHaveText(`${catalog}.ml_team.fraud`);
  const setAlias = dana.page.getByTestId('set-alias');
  await expect(setAlias.getByRole('button', { name: 'Set alias' })).toBeDisabled();
  await expect(setAlias.getByTestId('denied-reason')).toContainText('You need MANAGE on the model');
  // Forced through the API, the server refuses it too.
  const auth = 'Basic ' + Buffer.from(`${user}:${PASSWORD}`).toString('base64');
  const forced = await request.post('/api/2.0/mlflow/registered-models/alias', {
    headers: { authorization: auth },
    data: { name: `${catalog}.ml_team.fraud`, alias: 'Champion', version: '1' },
  });
  expect(forced.status()).toBe(403);
  expect((await forced.json()).error_code).toBe('PERMISSION_DENIED');

  // The effective-permissions view explains where the user's EXECUTE comes from.
  await page.goto(`${path}?tab=permissions`);
  await hydrated(page);
  const eff = page.getByTestId('effective-form');
  await eff.getByLabel('Principal').fill(user);
  await eff.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByTestId('effective')).toContainText(`EXECUTE — inherited from schema ${catalog}.ml_team, granted to ${group}`);

  // MANAGE on the model to the user: now the alias can be set.
  await grantOn(page, user, ['MANAGE']);
  await eff.getByLabel('Principal').fill(user);
  await eff.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByTestId('effective')).toContainText(`MANAGE — granted here, granted to ${user}`);
  await dana.page.reload();
  await hydrated(dana.page);
  await expect(setAlias.getByRole('button', { name: 'Set alias' })).toBeEnabled();
  await setAlias.getByLabel('Alias').fill('Champion');
  await setAlias.getByLabel('Version').fill('1');
  await setAlias.getByRole('button', { name: 'Set alias' }).click();
  await expect(dana.page.getByTestId('toast').last()).toContainText('@Champion now names version 1.');

  // The refusal and the grants are in the audit log.
  await page.goto('/admin/audit');
  await hydrated(page);
  const filter = page.getByTestId('audit-filter');
  await filter.getByLabel('Principal').fill(user);
  await filter.getByLabel('Outcome').selectOption('denied');
  await filter.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByTestId('audit')).toContainText('SetAlias');
  await dana.context.close();
});

test("an experiment's owner shares it from its page; a user sees it only as far as granted", async ({ page, browser, request }) => {
  const basic = 'Basic ' + Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64');
  const headers = { Authorization: basic, 'Content-Type': 'application/json' };
  const user = unique('erin');
  const name = unique('churn-exp');
  expect((await request.post('/api/quiver/v1/users', { headers, data: { username: user, password: PASSWORD } })).ok()).toBeTruthy();
  const created = await request.post('/api/2.0/mlflow/experiments/create', { headers, data: { name } });
  const id = (await created.json()).experiment_id as string;
  expect((await request.post('/api/2.0/mlflow/runs/create', { headers, data: { experiment_id: id, run_name: 'baseline' } })).ok()).toBeTruthy();

  // Nothing shared yet: the user's list does not show it and its page says what is missing.
  const erin = await asUser(browser, user);
  await erin.page.goto('/experiments');
  await expect(erin.page.getByText('No experiments to show')).toBeVisible();
  await erin.page.goto(`/experiments/${id}`);
  await expect(erin.page.getByText(`You need CAN_READ on experiment ${id}`)).toBeVisible();

  // The owner (here the admin who created it) grants CAN_READ on the experiment's page.
  await signIn(page);
  await page.goto(`/experiments/${id}`);
  await hydrated(page);
  const section = page.getByTestId('experiment-permissions');
  await expect(section.getByTestId('experiment-owner')).toHaveText('admin');
  const form = page.getByTestId('experiment-grant-form');
  await form.getByLabel('Principal').fill(user);
  await form.getByLabel('Level').selectOption('CAN_READ');
  await form.getByRole('button', { name: 'Grant' }).click();
  await expect(page.getByTestId('toast').last()).toContainText('Permissions updated.');
  const row = section.getByTestId('experiment-grant').filter({ hasText: user });
  await expect(row).toBeVisible();

  await erin.page.goto('/experiments');
  await expect(erin.page.getByTestId('experiments')).toContainText(name);
  await erin.page.getByRole('link', { name }).click();
  await expect(erin.page.getByTestId('experiment-title')).toHaveText(name);
  await expect(erin.page.getByRole('link', { name: 'baseline' })).toBeVisible();
  await expect(erin.page.getByTestId('my-experiment-level')).toContainText('Can read');
  await expect(erin.page.getByTestId('experiment-permissions')).toHaveCount(0);

  // Changed in place to CAN_EDIT, from the keyboard.
  await row.getByRole('combobox', { name: 'Level' }).focus();
  await row.getByRole('combobox', { name: 'Level' }).selectOption('CAN_EDIT');
  await expect(page.getByTestId('toast').last()).toContainText('Permissions updated.');
  await erin.page.reload();
  await expect(erin.page.getByTestId('my-experiment-level')).toContainText('Can edit');

  // Revoked after a confirmation: closed again.
  page.once('dialog', (d) => d.accept());
  await section.getByRole('button', { name: `Revoke ${user}'s access` }).click();
  await expect(page.getByTestId('toast').last()).toContainText('Permissions updated.');
  await expect(section.getByTestId('experiment-grant')).toHaveCount(0);
  await erin.page.reload();
  await expect(erin.page.getByText(`You need CAN_READ on experiment ${id}`)).toBeVisible();
  await erin.context.close();
});

test('a non-admin gets a 403 page for administration; keyboard users skip to content and arrow through tabs', async ({ page, browser, request }) => {
  const admin = 'Basic ' + Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64');
  const user = unique('erin');
  const r = await request.post('/api/quiver/v1/users', { headers: { authorization: admin }, data: { username: user, password: PASSWORD } });
  expect(r.ok(), await r.text()).toBeTruthy();
  const { page: erin, context } = await asUser(browser, user);
  for (const path of ['/admin', '/admin/audit']) {
    const response = await erin.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(erin.getByTestId('forbidden')).toContainText('for administrators');
    await expect(erin.getByTestId('create-user')).toHaveCount(0);
  }
  await context.close();

  await signIn(page);
  const catalog = unique('keys');
  const path = await seedModel(page, catalog, 'fraud', 1);
  await page.goto(path);
  await hydrated(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await skip.press('Enter');
  await expect(page.locator('main#main')).toBeFocused();
  const tabs = page.getByRole('tablist');
  const selected = tabs.getByRole('tab', { selected: true });
  await expect(selected).toHaveAttribute('tabindex', '0');
  await selected.focus();
  await page.keyboard.press('ArrowRight');
  await expect(tabs.getByRole('tab').nth(1)).toBeFocused();
  await page.keyboard.press('End');
  await expect(tabs.getByRole('tab').last()).toBeFocused();
  await page.keyboard.press('Home');
  await expect(tabs.getByRole('tab').first()).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(tabs.getByRole('tab').last()).toBeFocused();
});
