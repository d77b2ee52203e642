// The patient web app follows the browser's language: real headless Chromium
// against a real housecalld (in a network namespace made for this file).
//
//   - a browser in Spanish (Playwright's locale es-ES: navigator.languages and
//     Accept-Language) gets the check-in page in Spanish, <html lang="es">, no
//     English left, and a Spanish sentence when it submits an empty form
//   - a browser in French (fr-FR) gets it in French
//   - Chromium started with --lang and --accept-lang es-419, no locale override,
//     gets a dead link's page in Spanish
//   - the guest page (call.html, for interpreters and family members) in
//     French: its join form, and a refused invitation's sentence
//
// Needs root. Run: cd tests/browser && HOUSECALLD=… node --test patient-language.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launchChromium, serveWebFromDisk, webFromDisk } from './lib/browser.mjs';
import { canCreateNetns, createNetns } from './lib/netns.mjs';
import { Clinic, PatientPage } from './lib/patient.mjs';
import { startServer } from './lib/server.mjs';

const CONFIG = `[clinic]
name = Clinica del Rio
copay-notice = Your usual copay applies.
`;
const ENGLISH = ['Check in for your video visit', 'Your full name', 'Next: camera and microphone'];

const support = canCreateNetns();
if (!support.ok)
  test('patient web app in Spanish and French (network namespaces, Chromium)', { skip: support.why }, () => {});

describe('the patient web app in the browser\'s language', { skip: support.ok ? false : support.why }, () => {
  let ns = null;
  let server = null;
  let browser = null;
  let spanishBrowser = null;
  let clinic = null;
  const open = new Set();

  async function patient(name, b, options) {
    const p = new PatientPage(name, b, server);
    open.add(p);
    await p.open(options);
    return p;
  }

  before(async () => {
    ns = createNetns();
    server = await startServer(ns, { configText: CONFIG });
    [browser, spanishBrowser] = await Promise.all([
      launchChromium(ns, { name: 'lang' }),
      launchChromium(ns, { name: 'lang-es', extraArgs: ['--lang=es-419', '--accept-lang=es-419,es'] }),
    ]);
    clinic = await new Clinic(browser, server).open();
  });

  after(async () => {
    await Promise.all([...open].map((p) => p.close()));
    await clinic?.close();
    await Promise.all([browser?.close().catch(() => {}), spanishBrowser?.close().catch(() => {})]);
    await server?.stop();
    await ns?.destroy();
  });

  async function mainText(p) {
    return (await p.page.locator('main').innerText()).trim();
  }

  test('es-ES: the check-in page and its errors are in Spanish', async () => {
    const { code } = await clinic.appointment({ patient_name: 'Ana García' });
    const p = await patient('es', browser, { code, locale: 'es-ES' });
    await p.waitForView('checkin');
    assert.equal(await p.page.evaluate(() => navigator.language), 'es-ES');
    assert.equal(await p.page.evaluate(() => document.documentElement.lang), 'es');
    const text = await mainText(p);
    assert.match(text, /Regístrese para su consulta por video/, text);
    assert.match(text, /Su nombre completo/, text);
    assert.match(text, /Siguiente: cámara y micrófono/, text);
    for (const english of ENGLISH)
      assert.ok(!text.includes(english), `English left on the page: "${english}"\n${text}`);

    await p.page.locator('#checkin-next').click();
    const error = p.page.locator('#checkin-error');
    await error.waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await error.innerText(), /Escriba su nombre\.|marque la casilla/, await error.innerText());
  });

  test('fr-FR: the check-in page is in French', async () => {
    const { code } = await clinic.appointment({ patient_name: 'Jeanne Martin' });
    const p = await patient('fr', browser, { code, locale: 'fr-FR' });
    await p.waitForView('checkin');
    assert.equal(await p.page.evaluate(() => document.documentElement.lang), 'fr');
    const text = await mainText(p);
    assert.match(text, /Enregistrez-vous pour votre consultation vidéo/, text);
    assert.match(text, /Vos nom et prénom/, text);
    for (const english of ENGLISH)
      assert.ok(!text.includes(english), `English left on the page: "${english}"\n${text}`);
  });

  test('Chromium with --lang=es-419 --accept-lang=es-419: a dead link\'s page is in Spanish', async () => {
    const p = await patient('lang-flag', spanishBrowser, { code: '0123456789abcdef0123456789abcdef', locale: null });
    await p.waitForView('invalid');
    assert.match(await p.page.evaluate(() => navigator.language), /^es/);
    const text = await mainText(p);
    assert.match(text, /Este enlace de consulta ya no es válido\. Pida uno nuevo a la clínica\./, text);
    assert.ok(!text.includes('This visit link is not valid'), text);
  });

  test('fr-FR: the guest page and its errors are in French', async () => {
    const context = await browser.newContext({ locale: 'fr-FR' });
    try {
      if (webFromDisk())
        await serveWebFromDisk(context, server.origin);
      const page = await context.newPage();
      await page.goto(`${server.origin}/call.html`, { timeout: 15000 });
      await page.waitForFunction(() => document.documentElement.lang === 'fr', null, { timeout: 10000 });
      const text = (await page.locator('body').innerText()).trim();
      assert.match(text, /Rejoindre une consultation vidéo/, text);
      assert.match(text, /Code d’accès/, text);
      assert.match(text, /Non connecté/, text);
      assert.ok(!/Join a video visit|Access token|Not connected/.test(text), `English left: ${text}`);
      assert.equal(await page.title(), 'Housecall — consultation vidéo');
      assert.equal(await page.getByRole('button', { name: 'Rejoindre la consultation' }).count(), 1);

      // A token that is not one: the refusal is said in French.
      await page.locator('#token').fill('not-a-token');
      await page.locator('#room').fill('some-room');
      await page.getByRole('button', { name: 'Rejoindre la consultation' }).click();
      const error = page.locator('#form-error');
      await error.waitFor({ state: 'visible', timeout: 15000 });
      assert.match(await error.innerText(), /Cette invitation a expiré ou n’est pas valide/, await error.innerText());
    } finally {
      await context.close().catch(() => {});
    }
  });
});
