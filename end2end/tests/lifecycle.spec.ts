import { expect, Page, test } from '@playwright/test';
import { createModel, hydrated, seedModel, signIn, unique } from './helpers';

async function openTab(page: Page, path: string, tab: string) {
  await page.goto(`${path}?tab=${tab}`);
  await hydrated(page);
}

async function setAlias(page: Page, alias: string, version: number) {
  const form = page.getByTestId('set-alias');
  await form.getByLabel('Alias').fill(alias);
  const number = form.getByLabel('Version');
  if (await number.count()) await number.fill(String(version));
  await form.getByRole('button', { name: 'Set alias' }).click();
  await expect(page.getByTestId('toast').last()).toContainText(`@${alias} now names version ${version}.`);
}

/** `YYYY-MM-DDTHH:MM:SS` in UTC, the value a datetime-local input takes. */
function utcLocal(ms: number) {
  return new Date(ms).toISOString().slice(0, 19);
}

test('set an alias, move it, see its history and which version it named at a past time', async ({ page }) => {
  await signIn(page);
  const catalog = unique('prod');
  const path = await seedModel(page, catalog, 'iris', 2);

  await openTab(page, path, 'aliases');
  await setAlias(page, 'Champion', 1);
  await expect(page.getByTestId('alias-row')).toHaveText(/@Champion\s*→\s*Version 1/);
  await expect(page.getByTestId('alias-badge')).toHaveText('@Champion → v1');
  await page.waitForTimeout(1100);
  const between = Date.now();
  await page.waitForTimeout(1100);
  await setAlias(page, 'Champion', 2);
  await expect(page.getByTestId('alias-badge')).toHaveText('@Champion → v2');

  const history = page.getByTestId('alias-event');
  await expect(history).toHaveCount(2);
  await expect(history.nth(0)).toContainText('moved v1 → v2');
  await expect(history.nth(1)).toContainText('set to v1');
  await expect(history.nth(0)).toContainText('admin');

  // The as-of answer: at `between`, Champion still named version 1.
  const asOf = page.getByTestId('as-of');
  await asOf.getByLabel('Date and time (UTC)').fill(utcLocal(between));
  await asOf.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByTestId('as-of-answer')).toContainText('@Champion → Version 1');

  // `model@alias` names the version in URLs, and the version page shows its aliases.
  await page.goto(`${path}@Champion`);
  await hydrated(page);
  await expect(page.getByTestId('version-title')).toHaveText('iris · Version 2');
  await expect(page.getByTestId('version-aliases')).toContainText('@Champion');
  // The versions table shows the badge too; the move is in the activity.
  await openTab(page, path, 'versions');
  await expect(page.getByTestId('versions').getByRole('row').nth(1)).toContainText('@Champion');
  await openTab(page, path, 'activity');
  await expect(page.getByTestId('activity').locator('li').first()).toContainText('moved alias Champion from v1 to v2');

  // A reserved alias is refused with the reason.
  await openTab(page, path, 'aliases');
  const form = page.getByTestId('set-alias');
  await form.getByLabel('Alias').fill('latest');
  await form.getByLabel('Version').fill('1');
  await form.getByRole('button', { name: 'Set alias' }).click();
  await expect(form.locator('.error')).toContainText('reserved');
});

test('add and remove tags, and filter the schema by tag', async ({ page }) => {
  await signIn(page);
  const catalog = unique('tags');
  const path = await seedModel(page, catalog, 'churn', 1);
  await createModel(page, catalog, 'other');
  await page.goto(path);
  await hydrated(page);
  const tags = page.getByTestId('tags');
  for (const [k, v] of [['team', 'growth'], ['domain', 'retention']]) {
    await tags.getByRole('button', { name: '+ Add tag' }).click();
    await tags.getByLabel('Tag key').fill(k);
    await tags.getByLabel('Tag value').fill(v);
    await tags.getByRole('button', { name: 'Save tag' }).click();
    await expect(tags.getByTestId('tag').filter({ hasText: k })).toContainText(v);
  }
  await expect(tags.getByTestId('tag')).toHaveCount(2);
  await tags.getByRole('button', { name: 'Remove tag domain' }).click();
  await expect(tags.getByTestId('tag')).toHaveCount(1);
  await expect(tags.getByTestId('tag')).toContainText('team');

  // A bad key is refused next to the form.
  await tags.getByRole('button', { name: '+ Add tag' }).click();
  await tags.getByLabel('Tag key').fill('a=b');
  await tags.getByRole('button', { name: 'Save tag' }).click();
  await expect(tags.locator('.error')).toContainText("'=' at position 2");

  await page.goto(`/explore/${catalog}/ml_team?tag=team%3Dgrowth`);
  await hydrated(page);
  await expect(page.getByTestId('models').getByRole('link')).toHaveText(['churn']);
  await page.goto(`/explore/${catalog}/ml_team`);
  await hydrated(page);
  await expect(page.getByTestId('models').getByRole('link')).toHaveCount(2);
});

test('write a markdown description with a live preview and see it rendered', async ({ page }) => {
  await signIn(page);
  const catalog = unique('md');
  const path = await seedModel(page, catalog, 'ranker', 0);
  await page.goto(path);
  await hydrated(page);
  const block = page.getByTestId('description');
  await block.getByRole('button', { name: 'Add description' }).click();
  await block.getByLabel('Markdown').fill('# Ranker\n\nOrders **search results**.\n\n- fast\n- [docs](https://example.com/docs)');
  await expect(block.getByTestId('preview').locator('strong')).toHaveText('search results');
  await block.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('toast').last()).toContainText('Description saved.');
  const rendered = page.getByTestId('description').locator('.markdown');
  // The description's heading sits under the page's h1 and the section's h2.
  await expect(rendered.locator('h3')).toHaveText('Ranker');
  await expect(page.locator('h1')).toHaveCount(1);
  await expect(rendered.locator('li')).toHaveCount(2);
  await expect(rendered.getByRole('link', { name: 'docs' })).toHaveAttribute('rel', 'noopener noreferrer');
  // Rendered on the server: present before hydration too.
  const html = await (await page.request.get(path)).text();
  expect(html).toContain('<strong>search results</strong>');
  // Catalog descriptions work the same way.
  await page.goto(`/explore/${catalog}`);
  await hydrated(page);
  await page.getByTestId('description').getByRole('button', { name: 'Add description' }).click();
  await page.getByTestId('description').getByLabel('Markdown').fill('Everything *ranked*.');
  await page.getByTestId('description').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('description').locator('.markdown em')).toHaveText('ranked');
});

test('a comment thread: post, edit own, delete with confirmation', async ({ page }) => {
  await signIn(page);
  const catalog = unique('talk');
  const path = await seedModel(page, catalog, 'fraud', 1);
  await openTab(page, path, 'comments');
  const thread = page.getByTestId('comments');
  await thread.getByLabel('Add a comment').fill('Is **v1** ready?');
  await thread.getByRole('button', { name: 'Comment' }).click();
  const first = thread.getByTestId('comment').first();
  await expect(first.locator('strong').last()).toHaveText('v1');
  await expect(first).toContainText('admin');
  await expect(first).toContainText('just now');
  await thread.getByLabel('Add a comment').fill('Second thought.');
  await thread.getByRole('button', { name: 'Comment' }).click();
  await expect(thread.getByTestId('comment')).toHaveCount(2);

  await first.getByRole('button', { name: 'Edit' }).click();
  await first.getByLabel('Edit comment').fill('Is **v1** ready for prod?');
  await first.getByRole('button', { name: 'Save' }).click();
  await expect(first).toContainText('ready for prod?');
  await expect(first).toContainText('edited');

  await thread.getByTestId('comment').nth(1).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete comment' }).click();
  await expect(thread.getByTestId('comment')).toHaveCount(1);
  // An empty comment is refused.
  await thread.getByRole('button', { name: 'Comment' }).click();
  await expect(thread.locator('.comment-form .error')).toContainText('empty');
  // Version threads are separate.
  await openTab(page, `${path}/versions/1`, 'comments');
  await expect(page.getByTestId('comments').getByTestId('comment')).toHaveCount(0);
});

test('rename a model: its versions and aliases follow', async ({ page }) => {
  await signIn(page);
  const catalog = unique('ren');
  const path = await seedModel(page, catalog, 'fraud', 1);
  await openTab(page, path, 'aliases');
  await setAlias(page, 'Champion', 1);
  await page.getByRole('button', { name: 'Rename' }).click();
  await page.getByRole('dialog').getByLabel('New name').fill('fraud_v2');
  await page.getByRole('dialog').getByRole('button', { name: 'Rename' }).click();
  await expect(page).toHaveURL(new RegExp(`/explore/${catalog}/ml_team/fraud_v2$`));
  await expect(page.getByTestId('model-name')).toHaveText(`${catalog}.ml_team.fraud_v2`);
  await expect(page.getByTestId('alias-badge')).toHaveText('@Champion → v1');
  await expect(page.getByTestId('versions').getByRole('link', { name: 'Version 1' })).toBeVisible();
  const old = await page.goto(path);
  expect(old?.status()).toBe(404);
});

test('delete a version after typing its number; its alias goes and the history says why', async ({ page }) => {
  await signIn(page);
  const catalog = unique('del');
  const path = await seedModel(page, catalog, 'fraud', 2);
  await page.goto(`${path}/versions/2`);
  await hydrated(page);
  await setAlias(page, 'Champion', 2);
  await page.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('button', { name: 'Delete' })).toBeDisabled();
  await dialog.getByLabel('Type 2 to confirm').fill('2');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(page).toHaveURL(new RegExp(`${path}$`));
  await expect(page.getByTestId('versions').getByRole('link')).toHaveText(['Version 1']);
  await expect(page.getByTestId('alias-badge')).toHaveCount(0);
  await openTab(page, path, 'aliases');
  await expect(page.getByTestId('alias-event').first()).toContainText('removed from v2 (version 2 was deleted)');
});

test('copy a version from staging to prod, creating the model', async ({ page }) => {
  await signIn(page);
  const staging = unique('staging');
  const prod = unique('prod');
  const path = await seedModel(page, staging, 'fraud', 2);
  await seedModel(page, prod, 'placeholder', 0);
  await page.goto(`${path}/versions/2`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Copy to…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Target model').fill(`${prod}.ml_team.fraud`);
  await dialog.getByRole('button', { name: 'Copy version' }).click();
  await expect(page).toHaveURL(new RegExp(`/explore/${prod}/ml_team/fraud/versions/1$`));
  await expect(page.getByTestId('copied-from')).toHaveText(`copied from ${staging}.ml_team.fraud v2`);
  await expect(page.getByTestId('version-source')).toHaveText('runs:/run2/model');
  // A target in a schema that does not exist is refused next to the field.
  await page.goto(`${path}/versions/1`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Copy to…' }).click();
  await page.getByRole('dialog').getByLabel('Target model').fill(`${prod}.nope.fraud`);
  await page.getByRole('dialog').getByRole('button', { name: 'Copy version' }).click();
  await expect(page.getByRole('dialog').locator('.form-error')).toContainText(`Schema '${prod}.nope' does not exist.`);
});

test('search the header box by name, tag and alias', async ({ page }) => {
  await signIn(page);
  const catalog = unique('find');
  const marker = unique('needle').toLowerCase();
  const path = await seedModel(page, catalog, `${marker}_model`, 1);
  await createModel(page, catalog, `other_${marker}`);
  await page.goto(path);
  await hydrated(page);
  const tags = page.getByTestId('tags');
  await tags.getByRole('button', { name: '+ Add tag' }).click();
  await tags.getByLabel('Tag key').fill('owner_team');
  await tags.getByLabel('Tag value').fill(marker);
  await tags.getByRole('button', { name: 'Save tag' }).click();
  await expect(tags.getByTestId('tag')).toHaveCount(1);
  await openTab(page, path, 'aliases');
  await setAlias(page, `Champ_${marker}`, 1);

  const search = async (q: string) => {
    await page.getByRole('searchbox', { name: 'Search models' }).fill(q);
    await page.getByRole('searchbox', { name: 'Search models' }).press('Enter');
    await expect(page).toHaveURL(/\/search\?q=/);
  };
  await search(marker.toUpperCase());
  await expect(page.getByTestId('search-result')).toHaveCount(2);
  await search(`owner_team=${marker}`);
  await expect(page.getByTestId('search-result')).toHaveCount(1);
  await expect(page.getByTestId('search-result')).toContainText(`${catalog}.ml_team.${marker}_model`);
  await expect(page.getByTestId('search-result')).toContainText('latest v1');
  await search(`@Champ_${marker}`);
  await expect(page.getByTestId('search-result')).toHaveCount(1);
  await expect(page.getByTestId('search-result')).toContainText(`@Champ_${marker} → v1`);
  await page.getByTestId('search-result').getByRole('link').first().click();
  await expect(page.getByTestId('model-name')).toHaveText(`${catalog}.ml_team.${marker}_model`);
  await search(`${marker}_nothing`);
  await expect(page.getByText('No model matches')).toBeVisible();
});
