// SPDX-License-Identifier: GPL-3.0-or-later
//
// The call page: a small join form and the stage. The token is typed or
// pasted into the form (or handed to window.housecall.start() by a test) and
// never appears in the URL. A room name may come from ?room=.

import { Call } from './call.js';

const $ = (id) => document.getElementById(id);

const STATE_TEXT = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  joined: 'In the visit',
  reconnecting: 'Connection lost — reconnecting…',
  ended: 'The visit has ended',
  failed: 'Could not join the visit',
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
      return 'This invitation has expired or is not valid. Ask the clinic for a new link.';
    case 'token-revoked':
      return 'This invitation was withdrawn by the clinic.';
    case 'reconnect-failed':
      return 'The connection was lost. Check your network and join again.';
    case 'token-room-mismatch':
      return 'This invitation is for a different room.';
    case 'room-full':
      return 'The visit is full.';
    case 'room-completed':
      return 'This visit has already ended.';
    case 'removed':
      return 'The provider removed you from the visit.';
    default:
      if (error?.name === 'NotAllowedError')
        return 'Camera and microphone access was denied. Allow it in the browser and try again.';
      if (error?.name === 'NotFoundError')
        return 'No camera or microphone was found.';
      return error?.message ?? 'Something went wrong. Please try again.';
  }
}

function updateControls() {
  const mic = $('mic');
  const camera = $('camera');
  const micOn = call?.micEnabled ?? false;
  const cameraOn = call?.cameraEnabled ?? false;
  mic.setAttribute('aria-pressed', String(micOn));
  mic.textContent = micOn ? 'Microphone on' : 'Microphone off';
  camera.setAttribute('aria-pressed', String(cameraOn));
  camera.textContent = cameraOn ? 'Camera on' : 'Camera off';
}

/** "Reconnecting…" while the socket or the media transport is down; "audio
 * only" while the video is paused for a weak connection. */
function updateBanner() {
  const banner = $('banner');
  const down = call?.state === 'reconnecting' || call?.networkQuality?.level === 0;
  const text = down ? 'Reconnecting…'
    : (call?.audioOnly ? 'Your connection is too weak for video: audio only until it improves.' : '');
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
    setStatus(STATE_TEXT[state] ?? state);
    updateBanner();
    if (state === 'joined' || state === 'reconnecting')
      showCall(true);
    if (state === 'ended' || state === 'failed')
      showCall(false);
    updateControls();
  });
  call.on('ended', ({ reason }) => {
    if (reason === 'room-completed')
      showError('The provider has ended the visit.');
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
      setStatus(`In the visit, but your video could not be sent: ${describe(error)}`);
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
