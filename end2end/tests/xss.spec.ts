import { expect, Page, test } from '@playwright/test';
import { hydrated, seedModel, signIn, unique } from './helpers';

// Each payload calls window.__xss(n) (or alert) if it ever runs.
const PAYLOADS = [
  '<script>__xss(1)</script>',
  '<img src=x onerror="__xss(2)">',
  '<svg onload="__xss(3)"></svg>',
  '<svg><script>__xss(4)</script></svg>',
  '<iframe src="javascript:__xss(5)"></iframe>',
  '<iframe srcdoc="<script>parent.__xss(6)</script>"></iframe>',
  '[click 7](javascript:__xss(7))',
  '[click 8](JaVaScRiPt:__xss(8))',
  '[click 9](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX194c3MoOSk8L3NjcmlwdD4=)',
  '<a href="javascript:__xss(10)">x10</a>',
  '<a href="&#106;avascript:__xss(11)">x11</a>',
  '<a href="vbscript:msgbox(12)">x12</a>',
  '<body onload="__xss(13)">',
  '<div onmouseover="__xss(14)">hover 14</div>',
  '<details open ontoggle="__xss(15)">x15</details>',
  '<input autofocus onfocus="__xss(16)">',
  '<video><source onerror="__xss(17)"></video>',
  '<audio src=x onerror="__xss(18)"></audio>',
  '<object data="javascript:__xss(19)"></object>',
  '<embed src="javascript:__xss(20)">',
  '<form action="javascript:__xss(21)"><button>go 21</button></form>',
  '<math><mtext><table><mglyph><style><img src=x onerror="__xss(22)">',
  "<style>@import 'javascript:__xss(23)';</style>",
  '<div style="background:url(javascript:__xss(24))">x24</div>',
  '<meta http-equiv="refresh" content="0;url=javascript:__xss(25)">',
  '<base href="javascript:__xss(26)//">',
  '<img src="x" onerror="__xss(27)"',
  '<<script>__xss(28)//<</script>',
  '<scr<script>ipt>__xss(29)</scr</script>ipt>',
  '![img 30](javascript:__xss(30))',
  '![img 31](x" onerror="__xss(31))',
  '<a href="  javascript:__xss(32)">x32</a>',
  '<svg><a xlink:href="javascript:__xss(33)"><text x="20" y="20">x33</text></a></svg>',
  '<marquee onstart="__xss(34)">x34</marquee>',
  '<noscript><p title="</noscript><img src=x onerror=__xss(35)>">',
  '<a href="java&#x09;script:__xss(36)">x36</a>',
  '[x37](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;__xss(37))',
  '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9Il9feHNzKDM4KSI+">',
  '<a href="#" onclick="__xss(39)">click 39</a>',
  '<table background="javascript:__xss(40)"><tr><td>x40</td></tr></table>',
];

const CORPUS = PAYLOADS.join('\n\n');

/** Fails the test if any rendered markdown holds something that could run. */
async function assertInert(page: Page) {
  const found = await page.evaluate(() => {
    const bad: string[] = [];
    for (const root of Array.from(document.querySelectorAll('.markdown'))) {
      for (const el of Array.from(root.querySelectorAll('*'))) {
        const tag = el.tagName.toLowerCase();
        if (['script', 'iframe', 'object', 'embed', 'style', 'svg', 'math', 'form', 'base', 'meta', 'link', 'video', 'audio', 'source', 'marquee'].includes(tag)) {
          bad.push(`<${tag}>`);
        }
        for (const attr of Array.from(el.attributes)) {
          const name = attr.name.toLowerCase();
          const value = attr.value.replace(/\s+/g, '').toLowerCase();
          if (name.startsWith('on') || name === 'style' || name === 'srcdoc') bad.push(`${tag}[${name}]`);
          if (/^(javascript|vbscript|data):/.test(value)) bad.push(`${tag}[${name}=${attr.value}]`);
        }
      }
    }
    return bad;
  });
  expect(found).toEqual([]);
}

test(`an XSS corpus of ${PAYLOADS.length} payloads in descriptions and comments runs nothing`, async ({ page }) => {
  expect(PAYLOADS.length).toBeGreaterThanOrEqual(30);
  const dialogs: string[] = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  await page.addInitScript(() => {
    (window as any).__xss_hits = [];
    (window as any).__xss = (n: number) => (window as any).__xss_hits.push(n);
  });
  await signIn(page);
  const path = await seedModel(page, unique('xss'), 'target', 1);

  // Control: the detector sees a handler that does run (one set from script), and finds an
  // inline handler in the page, which the page's Content-Security-Policy does not even let run.
  await page.evaluate(() => {
    const div = document.createElement('div');
    div.className = 'markdown control';
    div.innerHTML = '<img src="x" onerror="__xss(1)">';
    const probe = document.createElement('img');
    probe.onerror = () => (window as any).__xss(0);
    probe.src = 'x';
    div.appendChild(probe);
    document.body.appendChild(div);
  });
  await expect.poll(() => page.evaluate(() => (window as any).__xss_hits)).toEqual([0]);
  await expect(assertInert(page)).rejects.toThrow();
  await page.evaluate(() => { document.querySelector('.control')?.remove(); (window as any).__xss_hits = []; });

  // Description: the live preview, then the saved rendering.
  await page.goto(path);
  await hydrated(page);
  const block = page.getByTestId('description');
  await block.getByRole('button', { name: 'Add description' }).click();
  await block.getByLabel('Markdown').fill(CORPUS);
  await expect(block.getByTestId('preview')).toContainText('hover 14');
  await assertInert(page);
  await block.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('toast').last()).toContainText('Description saved.');

  // Comments on the model and on a version.
  for (const target of [`${path}?tab=comments`, `${path}/versions/1`]) {
    await page.goto(target);
    await hydrated(page);
    await page.getByLabel('Add a comment').fill(CORPUS);
    await page.getByRole('button', { name: 'Comment' }).click();
    await expect(page.getByTestId('comment').first()).toContainText('hover 14');
  }

  // Load each page fresh (server-rendered, then hydrated), poke at the content, and check.
  for (const target of [path, `${path}?tab=comments`, `${path}/versions/1`]) {
    await page.goto(target);
    await hydrated(page);
    for (const el of await page.locator('.markdown').all()) {
      await el.hover();
    }
    for (const link of await page.locator('.markdown a').all()) {
      const href = (await link.getAttribute('href')) ?? '';
      expect(href).not.toMatch(/^\s*(javascript|vbscript|data):/i);
      if (!href || href === '#') await link.click();
    }
    await page.waitForTimeout(500);
    await assertInert(page);
  }
  expect(await page.evaluate(() => (window as any).__xss_hits)).toEqual([]);
  expect(dialogs).toEqual([]);
});
