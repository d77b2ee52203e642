// Headless Chromium participants inside the test's network namespace.
//
// How: the test runner stays in the root namespace, and Chromium is started
// by playwright-core's ordinary launch() through a tiny wrapper script,
//   exec ip netns exec <ns> /usr/bin/chromium "$@"
// Playwright talks to Chromium over --remote-debugging-pipe (file
// descriptors 3 and 4), which `ip netns exec` passes through untouched, so no
// debugging port has to be reachable across namespaces. (A
// --remote-debugging-port inside the namespace would listen on the
// namespace's own loopback, out of the runner's reach.) Everything the page
// does — HTTP, the signaling WebSocket, ICE — then happens inside the
// namespace.
//
// Fake media: --use-fake-device-for-media-stream gives a synthetic camera and
// a microphone. Chromium's built-in fake microphone only beeps briefly once a
// second, too little for Janus's audio-level averaging, so every browser is
// given a steady tone from a WAV file written here
// (--use-file-for-fake-audio-capture); a participant that must be silent
// disables its microphone track.

import { chmodSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';

import { chromium } from 'playwright-core';

import { makeTempDir, readWebFile } from './server.mjs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The Content-Security-Policy housecalld serves data/web with. */
export const CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; media-src 'self' blob:";

const CHROMIUM_FLAGS = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
  // Keep timers and rendering going in pages nobody looks at.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** Writes a 16-bit mono 48 kHz WAV of a steady 440 Hz tone at about -10 dBFS. */
export function writeToneWav(path, { seconds = 4, hz = 440, amplitude = 0.3 } = {}) {
  const rate = 48000;
  const samples = rate * seconds;
  const buffer = Buffer.alloc(44 + samples * 2);
  buffer.write('RIFF', 0);
  buffer.writeUInt32LE(36 + samples * 2, 4);
  buffer.write('WAVE', 8);
  buffer.write('fmt ', 12);
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20);        // PCM
  buffer.writeUInt16LE(1, 22);        // mono
  buffer.writeUInt32LE(rate, 24);
  buffer.writeUInt32LE(rate * 2, 28); // byte rate
  buffer.writeUInt16LE(2, 32);        // block align
  buffer.writeUInt16LE(16, 34);
  buffer.write('data', 36);
  buffer.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++)
    buffer.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * amplitude * 32767), 44 + i * 2);
  writeFileSync(path, buffer);
  return path;
}

/**
 * Launches one headless Chromium inside @ns. Playwright's launch() gives it
 * a fresh temporary --user-data-dir of its own and removes it on close.
 * Resolves a playwright Browser.
 */
export async function launchChromium(ns, { name = 'peer', extraArgs = [], toneFile, timeoutMs = 30000 } = {}) {
  const dir = makeTempDir(`hc-chromium-${name}-`);
  const wrapper = join(dir, 'chromium-in-netns.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${ns.prefix().join(' ')} ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  // A page fulfilled by request interception has no real address, so
  // Chromium's Local Network Access checks would take it for a public page
  // and block its WebSocket to loopback; only the disk fallback needs this.
  const flags = webFromDisk()
    ? CHROMIUM_FLAGS.map((f) => (f.startsWith('--disable-features=') ? `${f},LocalNetworkAccessChecks` : f))
    : CHROMIUM_FLAGS;
  const args = [
    ...flags,
    ...(toneFile ? [`--use-file-for-fake-audio-capture=${toneFile}`] : []),
    ...extraArgs,
  ];
  const browser = await chromium.launch({
    executablePath: wrapper,
    headless: true,
    args,
    timeout: timeoutMs,
    env: { ...process.env, TZ: 'UTC' },
  });
  return browser;
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** Whether the tests serve data/web themselves (HC_WEB_FROM_DISK=1), for a
 * housecalld without the static file handler. */
export function webFromDisk() {
  return process.env.HC_WEB_FROM_DISK === '1';
}

/**
 * Serves data/web from disk through Playwright's request interception, with
 * housecalld's CSP, for a server that does not serve the web client yet.
 * Only plain HTTP requests are intercepted: the signaling WebSocket still
 * goes to the real server.
 */
export async function serveWebFromDisk(context, origin) {
  await context.route((url) => url.origin === origin && !url.pathname.startsWith('/v1/'), async (route) => {
    const { pathname } = new URL(route.request().url());
    const path = pathname === '/' ? '/call.html' : pathname;
    const body = readWebFile(path);
    if (body === null) {
      await route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' });
      return;
    }
    await route.fulfill({
      status: 200,
      body,
      headers: {
        'Content-Type': MIME[extname(path)] ?? 'application/octet-stream',
        'Content-Security-Policy': CSP,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      },
    });
  });
}

/**
 * Opens the call page of @server in a new context of @browser. Resolves
 * { context, page, logs, response, servedBy } where logs collects the page's
 * console and errors (for assertion messages), and servedBy is 'housecalld',
 * or 'disk' with HC_WEB_FROM_DISK=1.
 */
export async function openCallPage(browser, server, { name = 'peer', viewport = { width: 800, height: 600 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const logs = [];
  page.on('console', (msg) => logs.push(`[${name} ${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (error) => logs.push(`[${name} pageerror] ${error.stack ?? error.message}`));
  page.on('crash', () => logs.push(`[${name}] page crashed`));
  const url = `${server.origin}/call.html`;
  const servedBy = webFromDisk() ? 'disk' : 'housecalld';
  if (servedBy === 'disk')
    await serveWebFromDisk(context, server.origin);
  const response = await page.goto(url, { timeout: 15000 });
  if (!response || response.status() !== 200) {
    const status = response ? response.status() : 'no response';
    await context.close();
    throw new Error(`GET ${url} → ${status}: housecalld does not serve data/web yet (HC_WEB_FROM_DISK=1 serves it from the test)`);
  }
  await page.waitForFunction(() => window.housecall !== undefined, null, { timeout: 10000 });
  return { context, page, logs, response, servedBy };
}

/** The last @n lines a page logged, for assertion messages. */
export function tail(logs, n = 30) {
  return logs.slice(-n).join('\n');
}
