import { chromium } from 'playwright-core';
const base = 'http://127.0.0.1:3000';
const PAGES = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--no-first-run','--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(base + '/login');
await page.fill('input[name=username]', 'admin');
await page.fill('input[name=password]', 'admin-password-1');
await page.click('button[type=submit]');
await page.waitForURL(u => !u.pathname.startsWith('/login'));
let i = 0;
for (const p of PAGES) {
  await page.goto(base + p);
  await page.waitForTimeout(1200);
  await page.screenshot({ path: `/tmp/shot${i++}.png`, fullPage: true });
}
await browser.close();
