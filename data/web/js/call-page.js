// SPDX-License-Identifier: GPL-3.0-or-later
//
// The call page: a small join form and the stage. The token is typed or
// pasted into the form (or handed to window.housecall.start() by a test) and
// never appears in the URL. A room name may come from ?room=. Guests (an
// interpreter, a family member) get it in their browser's language, like the
// patient app.

import { Call } from './call.js';
import { chooseLanguage, language, localize, setLanguage, t } from './i18n.js';

const $ = (id) => document.getElementById(id);

const STATE_KEYS = {
  idle: 'guest.status.idle',
  connecting: 'guest.status.connecting',
  joined: 'guest.status.joined',
  reconnecting: 'guest.status.reconnecting',
  ended: 'guest.status.ended',
  failed: 'guest.status.failed',
};

let call = null;

function setStatus(text) {
  $('status').textContent = text;
}

function showError(text) {
  const el = $('form-error');
  el.textContent = text;
  el.hidden = !text;
}

function describe(error) {
  switch (error?.error) {
    case 'authentication-failed':
    case 'token-expired':
      return t('guest.error.invalid');
    case 'token-revoked':
      return t('guest.error.revoked');
    case 'reconnect-failed':
      return t('guest.error.lost');
    case 'token-room-mismatch':
      return t('guest.error.wrong-room');
    case 'room-full':
      return t('guest.error.full');
    case 'room-completed':
      return t('guest.error.completed');
    case 'removed':
      return t('guest.error.removed');
    default:
      // Every other token-… code (docs/errors.md, 201xx): malformed, bad
      // signature, wrong issuer… all mean the invitation cannot be used.
      if (String(error?.error ?? '').startsWith('token-'))
        return t('guest.error.invalid');
      if (error?.name === 'NotAllowedError')
        return t('guest.error.denied');
      if (error?.name === 'NotFoundError')
        return t('guest.error.no-devices');
      // The server's own sentence (English) is better than none.
      return error?.message ?? t('guest.error.generic');
  }
}

function updateControls() {
  const mic = $('mic');
  const camera = $('camera');
  const micOn = call?.micEnabled ?? false;
  const cameraOn = call?.cameraEnabled ?? false;
  mic.setAttribute('aria-pressed', String(micOn));
  mic.textContent = t(micOn ? 'call.mic-on' : 'call.mic-off');
  camera.setAttribute('aria-pressed', String(cameraOn));
  camera.textContent = t(cameraOn ? 'call.camera-on' : 'call.camera-off');
}

/** "Reconnecting…" while the socket or the media transport is down; "audio
 * only" while the video is paused for a weak connection. */
function updateBanner() {
  const banner = $('banner');
  const down = call?.state === 'reconnecting' || call?.networkQuality?.level === 0;
  const text = down ? t('guest.reconnecting') : (call?.audioOnly ? t('guest.audio-only') : '');
  banner.textContent = text;
  banner.hidden = !text;
  banner.dataset.kind = down ? 'reconnecting' : (call?.audioOnly ? 'audio-only' : '');
}

function showCall(inCall) {
  $('join-form').hidden = inCall;
  $('call').hidden = !inCall;
}

/**
 * Starts a call: { token, room, width, height, fps, ...more Call options }.
 * Resolves what Call.start() resolves; rejects with its error.
 */
async function start(options) {
  if (call && call.state !== 'ended' && call.state !== 'failed')
    throw new Error('already in a call');
  showError('');
  const { token, room, ...rest } = options;
  call = new Call({ token, room, stage: $('stage'), ...rest });
  call.on('network-quality', updateBanner);
  call.on('audio-only', updateBanner);
  call.on('state', (state) => {
    setStatus(STATE_KEYS[state] ? t(STATE_KEYS[state]) : state);
    updateBanner();
    if (state === 'joined' || state === 'reconnecting')
      showCall(true);
    if (state === 'ended' || state === 'failed')
      showCall(false);
    updateControls();
  });
  call.on('ended', ({ reason }) => {
    if (reason === 'room-completed')
      showError(t('guest.ended-by-provider'));
    else if (reason !== 'left')
      showError(describe({ error: reason }));
  });
  showCall(false);
  try {
    const result = await call.start();
    updateControls();
    return result;
  } catch (error) {
    if (call.state === 'failed' || call.state === 'ended')
      showError(describe(error));
    else
      setStatus(t('guest.no-video-sent', { reason: describe(error) }));
    throw error;
  }
}

$('join-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('token').value.trim();
  const room = $('room').value.trim();
  $('join').disabled = true;
  start({ token, room })
    .catch(() => {})
    .finally(() => {
      $('join').disabled = false;
      $('token').value = '';
    });
});

$('mic').addEventListener('click', () => {
  call?.setMicEnabled(!call.micEnabled);
  updateControls();
});

$('camera').addEventListener('click', () => {
  call?.setCameraEnabled(!call.cameraEnabled);
  updateControls();
});

$('leave').addEventListener('click', () => {
  call?.leave();
});

setLanguage(chooseLanguage(navigator.languages ?? [navigator.language]));
document.documentElement.lang = language();
localize();

const roomFromUrl = new URLSearchParams(window.location.search).get('room');
if (roomFromUrl)
  $('room').value = roomFromUrl;

// A link may carry the room and a guest token in its fragment, which the
// browser never sends to any server. Take them, then drop the fragment from
// the address bar and the history so the token is not left lying around.
const fragment = new URLSearchParams(window.location.hash.slice(1));
if (fragment.get('token')) {
  $('token').value = fragment.get('token');
  if (fragment.get('room'))
    $('room').value = fragment.get('room');
  history.replaceState(null, '', window.location.pathname + window.location.search);
}

// The test hook (and a console for the curious): start() and the live call.
window.housecall = {
  start,
  get call() {
    return call;
  },
};
