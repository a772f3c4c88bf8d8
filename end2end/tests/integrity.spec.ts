import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { ADMIN_PASSWORD, hydrated, signIn, unique } from './helpers';

const admin = 'Basic ' + Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64');
const FIXTURES = '../tests/fixtures/model_signing';
const DIGEST = '29fbd830ef6790cf7e5bdf64eef7f5af1264ef800d6d875a1e780bb26e4205ed';

test('a signed version shows its digest and files, and turns verified once its key is trusted', async ({ page, request }) => {
  const catalog = unique('sig');
  const full = `${catalog}.ml_team.fraud`;
  const call = async (method: string, url: string, data?: object | Buffer) => {
    const r = await request.fetch(url, { method, headers: { authorization: admin }, data });
    expect(r.ok(), `${method} ${url}: ${await r.text()}`).toBeTruthy();
    return r.status() === 200 && (r.headers()['content-type'] ?? '').includes('json') ? r.json() : null;
  };
  // A run whose model/ folder holds the sample model and its model.sig, registered as version 1.
  await call('post', '/api/2.1/unity-catalog/catalogs', { name: catalog });
  await call('post', '/api/2.1/unity-catalog/schemas', { name: 'ml_team', catalog_name: catalog });
  await call('post', '/api/2.0/mlflow/registered-models/create', { name: full });
  const experiment = (await call('post', '/api/2.0/mlflow/experiments/create', { name: unique('exp') })).experiment_id;
  const run = (await call('post', '/api/2.0/mlflow/runs/create', { experiment_id: experiment })).run.info;
  const folder = `${experiment}/${run.run_id}/artifacts/model`;
  for (const f of ['config.json', 'tokenizer/vocab.txt', 'weights.bin']) {
    await call('put', `/api/2.0/mlflow-artifacts/artifacts/${folder}/${f}`, readFileSync(`${FIXTURES}/model/${f}`));
  }
  await call('put', `/api/2.0/mlflow-artifacts/artifacts/${folder}/model.sig`, readFileSync(`${FIXTURES}/model.sig`));
  await call('post', '/api/2.0/mlflow/model-versions/create', { name: full, source: `runs:/${run.run_id}/model`, run_id: run.run_id });

  await signIn(page);
  const version = `/explore/${catalog}/ml_team/fraud/versions/1`;
  await page.goto(version);
  await hydrated(page);
  await expect(page.getByTestId('digest')).toContainText(DIGEST);
  await expect(page.getByTestId('digest').getByRole('button', { name: `Copy ${DIGEST}` })).toBeVisible();
  await expect(page.getByTestId('artifact')).toHaveCount(4);
  await expect(page.getByTestId('artifacts')).toContainText('weights.bin');
  await expect(page.getByTestId('artifacts')).toContainText('785b0751fc2c…');
  await expect(page.getByTestId('signature-state')).toHaveText('Signed by a key not trusted here ✗');

  // The model's owner trusts the release key on the model's Approvals tab.
  await page.goto(`/explore/${catalog}/ml_team/fraud?tab=approvals`);
  await hydrated(page);
  const keys = page.getByTestId('signing-keys');
  await keys.locator('summary').click();
  await expect(keys.getByTestId('no-keys')).toBeVisible();
  await keys.getByLabel('Key name').fill('release');
  await keys.getByLabel('Public key (PEM)').fill('not a key');
  await keys.getByRole('button', { name: 'Trust this key' }).click();
  await expect(keys.getByRole('alert')).toContainText('Not a PEM public key');
  await keys.getByLabel('Public key (PEM)').fill(readFileSync(`${FIXTURES}/pub.pem`, 'utf8'));
  await keys.getByRole('button', { name: 'Trust this key' }).click();
  await expect(keys.getByTestId('signing-key')).toContainText('release');
  await expect(keys.getByTestId('signing-key')).toContainText('ecdsa-p256-sha256');

  await page.goto(version);
  await hydrated(page);
  await expect(page.getByTestId('signature-state')).toHaveText('Signed by release ✓');
  await expect(page.getByTestId('signature')).toContainText(`model ${full}`);

  // Revoking it (after a confirmation) makes the signature untrusted again.
  await page.goto(`/explore/${catalog}/ml_team/fraud?tab=approvals`);
  await hydrated(page);
  await page.getByTestId('signing-keys').locator('summary').click();
  page.once('dialog', (d) => d.accept());
  await page.getByTestId('signing-keys').getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByTestId('signing-key')).toContainText('revoked');
  await page.goto(version);
  await hydrated(page);
  await expect(page.getByTestId('signature-state')).toHaveText('Signed by a key not trusted here ✗');
});
