import { expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, signIn, unique } from './helpers';

const basic = 'Basic ' + Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64');

test('what the MLflow API registers shows in the UI: alias, activity, artifact files, signature', async ({ page, request }) => {
  const catalog = unique('api');
  const name = `${catalog}.ml_team.churn`;
  const headers = { Authorization: basic };
  const post = async (path: string, data: object) => {
    const r = await request.post(`/api/2.0/mlflow/${path}`, { headers, data });
    expect(r.status(), await r.text()).toBe(200);
    return r.json();
  };
  await post('registered-models/create', { name, description: 'Churn **scores**' });
  const { experiment_id } = await post('experiments/create', { name: unique('exp') });
  const { model } = await post('logged-models', { experiment_id, name: 'model' });
  const root = model.info.artifact_uri.replace('mlflow-artifacts:/', '');
  // The signature as MLflow logs it with the model: YAML, long strings folded over lines.
  const content = [
    'flavors:',
    '  python_function: {}',
    'signature:',
    `  inputs: '[{"type": "double", "name": "tenure", "required": true}, {"type": "string",`,
    `    "name": "plan", "required": false}]'`,
    `  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'`,
    '',
  ].join('\n');
  const put = await request.put(`/api/2.0/mlflow-artifacts/artifacts/${root}/MLmodel`, { headers, data: content });
  expect(put.status()).toBe(200);
  await post('model-versions/create', { name, source: `models:/${model.info.model_id}`, model_id: model.info.model_id });
  await post('registered-models/alias', { name, alias: 'Champion', version: '1' });

  await signIn(page);
  await page.goto(`/explore/${catalog}/ml_team/churn@Champion`);
  await hydrated(page);
  await expect(page.getByTestId('version-title')).toHaveText('churn · Version 1');
  await expect(page.getByTestId('version-aliases')).toContainText('@Champion');
  const files = page.getByTestId('artifacts');
  const inputs = page.getByTestId('signature-inputs');
  await expect(inputs.getByRole('row').nth(1)).toHaveText(/tenure\s*double\s*yes/);
  await expect(inputs.getByRole('row').nth(2)).toHaveText(/plan\s*string\s*no/);
  await expect(page.getByTestId('signature-outputs')).toContainText('tensor float64 [-1]');
  await expect(files.getByRole('row').nth(1)).toContainText('MLmodel');
  await expect(files.getByRole('row').nth(1)).toContainText(`${content.length} B`);
  const href = await files.getByRole('link', { name: 'Download' }).getAttribute('href');
  const download = await page.request.get(href!);
  expect(await download.text()).toBe(content);

  await page.goto(`/explore/${catalog}/ml_team/churn?tab=activity`);
  await hydrated(page);
  const first = page.getByTestId('activity').locator('li').first();
  await expect(first).toContainText('set alias Champion to v1');
  await expect(first).toContainText('rest');
  await expect(page.getByTestId('description').locator('.markdown strong')).toHaveText('scores');
});
