// A headless Chromium participant for tests written in another language (the
// console's UI tests, in Python, drive the console through AT-SPI and need a
// patient on the other end of the call). It runs in the caller's network
// namespace, joins a room through the real call page, and answers one JSON line
// per command read from stdin:
//
//   snapshot          the call's state, remotes, dominant speaker and stats
//   request TYPE JSON sends a signaling request as this participant; answers
//                     {"event":"reply","ok":…,"error":code,"message":…}
//   quit              leaves and exits
//
//   view              the patient app's current view (checkin, waiting, call…)
//
// usage: node peer-cli.mjs --origin http://127.0.0.1:PORT --data-dir DIR
//                          --room NAME-OR-SID --identity NAME [--tone FILE.wav]
//        node peer-cli.mjs --origin … --data-dir DIR --visit CODE --name NAME [--phone]
//        node peer-cli.mjs --origin … --data-dir DIR --link URL   (a guest's invitation)
//
// With --room it joins the call page with a token minted from housecalld's data
// directory (lib/tokens.mjs), so the token never travels on a command line; the
// first line printed is {"event":"joined",…} or {"event":"failed",…}. With --visit
// it is a patient: the visit link, check-in, the preflight checks (devices and the
// network test) and the waiting room, as a person clicks through them; it prints
// {"event":"waiting"} there, and enters the call by itself once admitted.

import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { launchChromium } from './browser.mjs';
import { Participant } from './participant.mjs';
import { PatientPage } from './patient.mjs';
import { makeToken, readCredentials } from './tokens.mjs';

const { values } = parseArgs({
  options: {
    origin: { type: 'string' },
    'data-dir': { type: 'string' },
    room: { type: 'string' },
    identity: { type: 'string', default: 'patient' },
    tone: { type: 'string' },
    visit: { type: 'string' },
    name: { type: 'string', default: 'Jane Doe' },
    phone: { type: 'boolean', default: false },
    link: { type: 'string' },
  },
});

function say(object) {
  process.stdout.write(`${JSON.stringify(object)}\n`);
}

if (!values.origin || !values['data-dir'] || (!values.room && !values.visit && !values.link)) {
  say({ event: 'failed', message: 'usage: peer-cli.mjs --origin URL --data-dir DIR --room ROOM [--identity NAME] [--tone FILE]' });
  process.exit(2);
}

const credentials = readCredentials(values['data-dir']);
// The caller already runs inside the namespace: no prefix.
const here = { prefix: () => [] };
const server = {
  origin: values.origin,
  token: (options) => makeToken(credentials, options),
  logTail: () => '(housecalld log: see the calling test)',
};

let browser = null;
let peer = null;

async function shutdown(code) {
  try {
    if (peer?.page)
      await peer.page.evaluate(() => window.housecall.call?.leave?.()).catch(() => {});
    await browser?.close();
  } finally {
    process.exit(code);
  }
}

process.on('SIGTERM', () => shutdown(0));

try {
  browser = await launchChromium(here, { name: values.identity, toneFile: values.tone });
  if (values.visit) {
    peer = new PatientPage(values.name, browser, server);
    await peer.open({
      code: values.visit,
      ...(values.phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }
        : { viewport: { width: 1280, height: 800 } }),
    });
    const { page } = peer;
    await peer.waitForView('checkin');
    await page.getByLabel('Your full name').fill(values.name);
    await page.getByLabel('I agree to have this visit by video.').check();
    await page.getByLabel('I have read the copay information above.').check();
    await page.getByRole('button', { name: 'Next: camera and microphone' }).click();
    await page.locator('#devices-state').filter({ hasText: 'working' }).waitFor({ timeout: 20000 });
    await page.getByRole('button', { name: 'Next: test my connection' }).click();
    await peer.waitForView('network');
    const go = page.getByRole('button', { name: 'Go to the waiting room' });
    await go.waitFor({ state: 'visible', timeout: 60000 });
    await go.click();
    await peer.waitForView('waiting');
    say({ event: 'waiting' });
  } else if (values.link) {
    // A guest opens the link they were sent: the page takes the room and the
    // token from the fragment; joining is the page's own start().
    peer = new Participant(values.identity, browser, server);
    await peer.open({ viewport: { width: 640, height: 480 } });
    // A page load of its own (from /call.html to /call.html#… would only change
    // the fragment, and the page reads it when it loads).
    await peer.page.goto('about:blank');
    await peer.page.goto(values.link, { timeout: 15000 });
    await peer.page.waitForFunction(() => window.housecall !== undefined, null, { timeout: 10000 });
    const result = await peer.page.evaluate(async () => {
      const field = (id) => document.getElementById(id)?.value ?? '';
      try {
        const r = await window.housecall.start({ token: field('token'), room: field('room'), audioProcessing: false });
        return { ok: true, joined: r.joined, address: window.location.href };
      } catch (e) {
        return { ok: false, error: e.error ?? e.name, message: e.message, address: window.location.href };
      }
    });
    if (result.ok)
      peer.sid = result.joined.participant.sid;
    say({ event: result.ok ? 'joined' : 'failed', ...result });
    if (!result.ok)
      await shutdown(1);
  } else {
    peer = new Participant(values.identity, browser, server);
    await peer.open({ viewport: { width: 640, height: 480 } });
    const result = await peer.start({ identity: values.identity, room: values.room });
    say({ event: result.ok ? 'joined' : 'failed', ...result });
    if (!result.ok)
      await shutdown(1);
  }
} catch (error) {
  say({ event: 'failed', message: error.message });
  await shutdown(1);
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const command = line.trim();
  try {
    if (command === 'snapshot')
      say({ event: 'snapshot', ...(await peer.snapshot()) });
    else if (command.startsWith('request ')) {
      const [, type, ...rest] = command.split(' ');
      const fields = rest.length ? JSON.parse(rest.join(' ')) : {};
      say({
        event: 'reply',
        ...(await peer.page.evaluate(async ({ type, fields }) => {
          try {
            const reply = await window.housecall.call.signaling.request(type, fields);
            return { ok: true, type: reply?.type ?? null };
          } catch (e) {
            return { ok: false, error: e.error ?? e.name, message: e.message };
          }
        }, { type, fields })),
      });
    } else if (command === 'view')
      say({ event: 'view', view: await peer.page.evaluate(() => window.housecall?.view ?? null) });
    else if (command === 'state')
      say({ event: 'state', state: await peer.page.evaluate(() => window.housecall.call?.state ?? null) });
    else if (command === 'quit')
      break;
    else
      say({ event: 'error', message: `unknown command ${command}` });
  } catch (error) {
    say({ event: 'error', message: error.message });
  }
}
await shutdown(0);
