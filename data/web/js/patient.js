// SPDX-License-Identifier: GPL-3.0-or-later
//
// The patient web app (docs/waiting-room.md), served at /v/<code>:
//
//   GET /v1/Visits/{code} ── 404 ──► "This visit link is not valid any more" (nothing else)
//     │ open
//     ▼
//   1 check-in form (name, consent, copay, intake)          — nothing sent yet
//   2 local preflight (browser, camera + mic permission, devices, preview,
//     mic level, test sound) ──► POST CheckIn #1 (local results) → token
//   3 network test: echo-test through the media server with that token
//     ──► POST CheckIn #2 (full preflight; replaces #1, keeps the place) → token
//   4 waiting room: `wait`; position, estimate, messages, leave; reconnects
//   5 `admitted` {room} → the call (js/call.js), phone or desktop profile
//
// The token is kept in sessionStorage (visit-api.js), so a reload of the tab
// goes straight back to the waiting room (or the call).

import { Call } from './call.js';
import { LocalMedia, canChooseSpeaker } from './devices.js';
import { chooseLanguage, language, localize, setLanguage, t, waitPhrase } from './i18n.js';
import { DESKTOP, PHONE, callOptionsFor, isPhone } from './media-profile.js';
import { runNetworkTest } from './network-test.js';
import {
  describeBrowser, missingFeatures, permissionHintKey, preflightReport, scorePreflight,
} from './preflight.js';
import {
  ApiError, checkIn, clearSession, codeFromPath, getVisit, loadSession, saveSession,
} from './visit-api.js';
import { WaitingRoom } from './waiting-room.js';

const $ = (id) => document.getElementById(id);

const VIEWS = ['invalid', 'error', 'checkin', 'devices', 'network', 'waiting', 'call', 'ended'];
const STEPS = { checkin: 1, devices: 2, network: 3 };
const TOTAL_STEPS = 3;

/** Signaling error codes (docs/errors.md) the page acts on. */
const NOT_ADMITTED = 53120;
const TOKEN_ROOM_MISMATCH = 20111;

const app = {
  code: null,
  visit: null,
  view: null,
  browser: describeBrowser(navigator.userAgent),
  profile: DESKTOP,
  supported: true,
  media: null,              // LocalMedia during the preflight
  checkin: null,            // the check-in form's answers
  network: null,            // the last network test's summary
  networkRun: null,         // the last runNetworkTest() result (for tests)
  verdict: null,            // the last scorePreflight() result
  waiting: null,            // WaitingRoom
  call: null,               // Call
  checkins: 0,
};

// ------------------------------------------------------------------ helpers

function announce(text) {
  $('status').textContent = text;
}

function show(view, { focus = true } = {}) {
  app.view = view;
  for (const name of VIEWS)
    $(`view-${name}`).hidden = name !== view;
  if (STEPS[view])
    $(`${view}-step`).textContent = t('checkin.steps', { step: STEPS[view], total: TOTAL_STEPS });
  const heading = $(`view-${view}`).querySelector('h2');
  if (focus && heading)
    heading.focus({ preventScroll: false });
}

function setError(id, text) {
  const el = $(id);
  el.textContent = text ?? '';
  el.hidden = !text;
}

function verdictLabel(verdict) {
  return t(`verdict.${verdict}`);
}

/** A sentence for an ApiError of a check-in or a visit lookup. */
function describeApiError(error) {
  if (error.status === 0)
    return t('error.unreachable');
  if (error.status === 429)
    return t('error.rate-limited');
  if (error.status >= 500)
    return t('error.server');
  return t('checkin.error.refused', { message: error.message });
}

function showInvalid() {
  if (app.code)
    clearSession(app.code);
  document.title = t('app.name');
  announce('');
  show('invalid');
}

function showError(text, retry) {
  setError('error-text', text);
  $('error-retry').onclick = retry;
  show('error');
}

/**
 * The end of the road: @title (an i18n key) as the focused heading, described
 * by @text (so a screen reader reads both), and at most one way on.
 */
function showEnded(title, text, action = null) {
  $('ended-title').textContent = t(title);
  $('ended-text').textContent = text;
  const button = $('ended-action');
  button.hidden = action === null;
  if (action) {
    button.textContent = action.label;
    button.onclick = action.run;
  }
  announce('');
  show('ended');
}

const checkInAgain = () => ({ label: t('ended.checkin-again'), run: () => showCheckin() });

// --------------------------------------------------------------------- boot

async function boot() {
  setLanguage(chooseLanguage(navigator.languages ?? [navigator.language]));
  document.documentElement.lang = language();
  localize();
  $('boot').hidden = true;
  document.title = t('app.name');

  const coarse = window.matchMedia?.('(pointer: coarse)').matches ?? false;
  app.profile = isPhone({
    coarsePointer: coarse,
    screenWidth: window.screen?.width,
    screenHeight: window.screen?.height,
    uaMobile: navigator.userAgentData?.mobile,
  }) ? PHONE : DESKTOP;

  document.body.classList.toggle('phone', app.profile.mobile);

  app.code = codeFromPath(window.location.pathname);
  if (!app.code) {
    showInvalid();
    return;
  }
  await loadVisit();
}

async function loadVisit() {
  announce(t('boot.loading'));
  try {
    app.visit = await getVisit(app.code);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 400 || error.status === 410)) {
      showInvalid();
      return;
    }
    showError(error instanceof ApiError ? describeApiError(error) : t('error.unreachable'), () => loadVisit());
    return;
  }
  const clinic = app.visit.clinic_name || t('app.name');
  $('brand').textContent = clinic;
  document.title = `${t('app.title')} · ${clinic}`;
  announce('');

  const saved = loadSession(app.code);
  if (saved?.token) {
    // A reload: back to where this tab was.
    if (saved.room)
      startCall(saved.room);
    else
      enterWaitingRoom(saved.token);
    return;
  }
  showCheckin();
}

// ---------------------------------------------------------------- check-in

function formatStart(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()))
    return '';
  return new Intl.DateTimeFormat(language(), { dateStyle: 'full', timeStyle: 'short' }).format(date);
}

function buildIntake(questions) {
  const box = $('intake-questions');
  box.replaceChildren();
  questions.forEach((q, index) => {
    const field = document.createElement('div');
    field.className = 'field';
    const id = `intake-${index}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = q.required ? q.label : t('checkin.optional', { label: q.label });
    const input = document.createElement('textarea');
    input.id = id;
    input.rows = 3;
    input.maxLength = 1000;
    input.required = Boolean(q.required);
    input.dataset.question = String(index);
    field.append(label, input);
    box.append(field);
  });
  $('intake').hidden = questions.length === 0;
}

function showCheckin() {
  const visit = app.visit;
  $('visit-with').textContent = t('checkin.with', {
    provider: visit.provider_name || '',
    clinic: visit.clinic_name || t('app.name'),
  });
  $('visit-with').hidden = !visit.provider_name;
  $('visit-when').textContent = t('checkin.when', { time: formatStart(visit.start_time) });
  $('visit-when').hidden = !visit.start_time;
  const questions = Array.isArray(visit.intake_questions)
    ? visit.intake_questions.filter((q) => q && typeof q.id === 'string' && typeof q.label === 'string')
    : [];
  app.questions = questions;
  if (!$('intake-questions').children.length || $('intake-questions').children.length !== questions.length)
    buildIntake(questions);
  $('copay-text').textContent = visit.copay || t('checkin.copay-generic');
  setError('checkin-error', '');
  for (const el of $('checkin-form').querySelectorAll('[aria-invalid]'))
    el.removeAttribute('aria-invalid');
  $('checkin-next').disabled = false;
  announce('');
  show('checkin');
}

function onCheckinSubmit(event) {
  event.preventDefault();
  for (const el of $('checkin-form').querySelectorAll('[aria-invalid]'))
    el.removeAttribute('aria-invalid');
  const problems = [];
  const name = $('name').value.trim().replace(/\s+/g, ' ');
  if (name.length < 1 || name.length > 100)
    problems.push([$('name'), t('checkin.error.name')]);
  const intake = {};
  for (const input of $('intake-questions').querySelectorAll('textarea')) {
    const q = app.questions[Number(input.dataset.question)];
    const answer = input.value.trim();
    if (answer)
      intake[q.id] = answer;
    else if (q.required)
      problems.push([input, t('checkin.error.required', { label: q.label })]);
  }
  if (!$('consent').checked)
    problems.push([$('consent'), t('checkin.error.consent')]);
  if (!$('copay').checked)
    problems.push([$('copay'), t('checkin.error.copay')]);
  if (problems.length) {
    for (const [el] of problems)
      el.setAttribute('aria-invalid', 'true');
    setError('checkin-error', problems.map(([, text]) => text).join(' '));
    problems[0][0].focus();
    return;
  }
  setError('checkin-error', '');
  app.checkin = { name, intake };
  showDevices();
}

/** The check-in body (docs/waiting-room.md) with @preflight. */
function checkinBody(preflight) {
  const body = {
    name: app.checkin.name,
    consent: true,
    copay_acknowledged: true,
    preflight,
  };
  // The answers (possibly none: the questions are optional) once the
  // patient has seen questions, so the clinic sees the intake as done.
  if (app.questions.length || Object.keys(app.checkin.intake).length)
    body.intake = app.checkin.intake;
  return body;
}

/**
 * Sends the check-in with the current preflight. Resolves the reply and
 * remembers the token; on failure shows why in @errorId and resolves null.
 */
async function sendCheckin(errorId) {
  const report = preflightReport({
    verdict: app.verdict.verdict,
    // The clinic reads the reasons in English, whatever the patient's language.
    reasons: app.verdict.reasons.map((r) => t(r.key, r.params, 'en')),
    network: app.network,
    camera: app.media?.cameraOk ?? false,
    microphone: app.media?.micOk ?? false,
    browser: app.browser.label,
    mobile: app.profile.mobile,
  });
  announce(t('checkin.sending'));
  try {
    const reply = await checkIn(app.code, checkinBody(report));
    app.checkins++;
    const ids = app.media?.currentIds() ?? {};
    saveSession(app.code, {
      token: reply.token,
      identity: reply.identity,
      room: null,
      verdict: app.verdict.verdict,
      devices: {
        camera: app.media?.cameraOk ?? false,
        microphone: app.media?.micOk ?? false,
        cameraId: ids.cameraId ?? null,
        micId: ids.micId ?? null,
        speakerId: $('speaker-select').value || null,
      },
    });
    announce('');
    return reply;
  } catch (error) {
    announce('');
    if (error instanceof ApiError && error.status === 404) {
      showInvalid();
      return null;
    }
    setError(errorId, error instanceof ApiError ? describeApiError(error) : t('error.unreachable'));
    return null;
  }
}

// ---------------------------------------------------------- local preflight

function checkSupport() {
  const missing = missingFeatures({
    secureContext: window.isSecureContext,
    RTCPeerConnection: typeof window.RTCPeerConnection === 'function',
    getUserMedia: typeof navigator.mediaDevices?.getUserMedia === 'function',
    modules: true,   // this module runs
  });
  app.supported = missing.length === 0;
  const box = $('support-problem');
  box.hidden = app.supported;
  if (!app.supported)
    box.textContent = t(missing.includes('secure-context') ? 'support.insecure' : 'support.missing');
  return app.supported;
}

function fillSelect(select, devices, current, unnamedKey, { includeDefault = false } = {}) {
  select.replaceChildren();
  if (includeDefault) {
    const option = new Option(t('devices.default-speaker'), '');
    select.append(option);
  }
  devices.forEach((d, i) => {
    const option = new Option(d.label || t(unnamedKey, { n: i + 1 }), d.deviceId);
    select.append(option);
  });
  if (current && devices.some((d) => d.deviceId === current))
    select.value = current;
  select.disabled = devices.length === 0;
}

async function refreshDeviceLists() {
  const media = app.media;
  if (!media)
    return;
  let lists;
  try {
    lists = await media.listDevices();
  } catch {
    return;
  }
  const ids = media.currentIds();
  fillSelect($('camera-select'), lists.cameras, ids.cameraId, 'devices.unnamed-camera');
  fillSelect($('mic-select'), lists.mics, ids.micId, 'devices.unnamed-microphone');
  const speakerValue = $('speaker-select').value;
  fillSelect($('speaker-select'), lists.speakers, speakerValue, 'devices.unnamed-speaker', { includeDefault: true });
  $('speaker-field').hidden = !(canChooseSpeaker() && lists.speakers.length > 0);
}

function describeDevices(media) {
  if (media.cameraOk && media.micOk)
    return t('devices.ok');
  if (media.cameraOk)
    return t('devices.camera-only');
  if (media.micOk)
    return t('devices.mic-only');
  switch (media.problem) {
    case 'denied':
      return t('devices.denied');
    case 'not-found':
      return t('devices.not-found');
    case 'in-use':
      return t('devices.in-use');
    default:
      return t('devices.failed');
  }
}

async function openDevices(ids = {}) {
  const media = app.media;
  $('devices-next').disabled = true;
  $('devices-state').textContent = t('devices.asking');
  await media.open({ ...ids, width: app.profile.width, height: app.profile.height, fps: app.profile.fps });
  const preview = $('preview');
  preview.srcObject = media.cameraOk ? media.stream : null;
  preview.classList.toggle('off', !media.cameraOk);
  preview.play?.().catch(() => {});
  let heard = false;
  $('mic-level').value = 0;
  media.startMeter((level) => {
    $('mic-level').value = level;
    if (!heard && level > 0.25) {
      heard = true;
      announce(t('devices.heard'));
    }
  });
  const text = describeDevices(media);
  $('devices-state').textContent = text;
  $('devices-state').classList.toggle('good', media.cameraOk && media.micOk);
  const needsHelp = !(media.cameraOk && media.micOk);
  $('devices-help').hidden = !needsHelp;
  $('devices-hint').textContent = media.problem === 'denied' ? t(permissionHintKey(app.browser)) : '';
  $('devices-hint').hidden = media.problem !== 'denied';
  await refreshDeviceLists();
  $('devices-next').disabled = false;
}

function showDevices() {
  setError('devices-error', '');
  show('devices');
  if (!checkSupport()) {
    $('devices-state').textContent = '';
    $('devices-next').disabled = false;
    return;
  }
  app.media ??= new LocalMedia();
  openDevices(app.media.stream ? app.media.currentIds() : loadSession(app.code)?.devices ?? {})
    .catch(() => { $('devices-next').disabled = false; });
}

async function onDevicesNext() {
  const button = $('devices-next');
  button.disabled = true;
  setError('devices-error', '');
  app.media?.stopMeter();
  app.network = null;
  app.verdict = scorePreflight({
    supported: app.supported,
    camera: app.media?.cameraOk ?? false,
    microphone: app.media?.micOk ?? false,
    network: undefined,
    mobile: app.profile.mobile,
  });
  const reply = await sendCheckin('devices-error');
  button.disabled = false;
  if (!reply)
    return;
  if (!app.supported) {
    // Nothing to test with: the clinic sees verdict 1 and why, and the
    // patient waits (the provider may phone them instead).
    releaseDevices();
    enterWaitingRoom(reply.token);
    return;
  }
  showNetwork(reply.token);
}

function releaseDevices() {
  $('preview').srcObject = null;
  app.media?.close();
  app.media = null;
}

// ------------------------------------------------------------ network test

async function showNetwork(token) {
  show('network');
  $('network-result').hidden = true;
  $('network-next').hidden = true;
  $('network-retry').hidden = true;
  setError('network-error', '');
  $('network-progress').value = 0;
  $('network-progress').hidden = false;
  $('network-intro').hidden = false;
  $('network-phase').textContent = t('network.connecting');

  // The provider may let the patient in (or turn them away) while the test
  // runs: then the test's result no longer matters.
  let queueEvent = null;
  const run = await runNetworkTest({
    token,
    stream: app.media?.stream ?? null,
    maxBitrate: app.profile.mobile ? PHONE.maxVideoBitrate : 2500000,
    width: app.profile.width,
    height: app.profile.height,
    onProgress: ({ phase, fraction }) => {
      $('network-progress').value = fraction;
      const text = t(phase === 'measuring' ? 'network.measuring' : 'network.connecting');
      if ($('network-phase').textContent !== text)
        $('network-phase').textContent = text;
    },
    onQueueEvent: (type, message) => { queueEvent ??= { type, message }; },
  });
  if (queueEvent?.type === 'admitted') {
    releaseDevices();
    saveSession(app.code, { room: queueEvent.message.room });
    announce(t('waiting.admitted'));
    startCall(queueEvent.message.room);
    return;
  }
  if (queueEvent?.type === 'removed') {
    releaseDevices();
    clearSession(app.code);
    const message = queueEvent.message.message;
    showEnded('ended.title-wait', message ? t('ended.removed-with-message', { message }) : t('ended.removed'));
    return;
  }
  if (run.error)
    console.warn('network test:', run.error.message ?? run.error);
  app.networkRun = { summary: run.summary, error: run.error ? String(run.error.message ?? run.error) : null };
  app.network = run.summary;
  app.verdict = scorePreflight({
    supported: app.supported,
    camera: app.media?.cameraOk ?? false,
    microphone: app.media?.micOk ?? false,
    network: run.summary,
    mobile: app.profile.mobile,
  });
  renderNetworkResult();
}

function renderNetworkResult() {
  const { verdict, reasons } = app.verdict;
  const summary = app.network;
  $('network-progress').value = 1;
  $('network-progress').hidden = true;
  $('network-intro').hidden = true;
  $('network-phase').textContent = '';
  $('network-verdict').textContent = t('network.result', { verdict, label: verdictLabel(verdict) });
  $('network-verdict').dataset.verdict = String(verdict);
  const list = $('network-reasons');
  list.replaceChildren();
  const items = reasons.length ? reasons.map((r) => t(r.key, r.params)) : [t('network.all-good')];
  for (const text of items) {
    const li = document.createElement('li');
    li.textContent = text;
    list.append(li);
  }
  const dash = '–';
  $('network-details').textContent = summary && !summary.failed
    ? t('network.details', {
      rtt: summary.rtt_ms ?? dash,
      jitter: summary.jitter_ms ?? dash,
      loss: summary.loss_percent ?? dash,
      kbps: summary.bitrate_kbps ?? dash,
      route: t(`route.${summary.candidate_type ?? 'unknown'}`),
    })
    : '';
  // Tips about the line only when the line is the problem.
  const lineTrouble = reasons.some((r) => /^reason\.(rtt|jitter|loss|bitrate|relay|unreachable)/.test(r.key));
  $('network-advice').hidden = !lineTrouble;
  $('network-result').hidden = false;
  $('network-retry').hidden = false;
  $('network-next').hidden = false;
  $('network-next').disabled = false;
  $('network-next').focus();
}

async function onNetworkNext() {
  const button = $('network-next');
  button.disabled = true;
  setError('network-error', '');
  const reply = await sendCheckin('network-error');
  button.disabled = false;
  if (!reply)
    return;
  releaseDevices();
  enterWaitingRoom(reply.token);
}

function onNetworkRetry() {
  const token = loadSession(app.code)?.token;
  if (token)
    showNetwork(token);
}

// ------------------------------------------------------------ waiting room

function renderPosition({ position, estimated_wait_seconds: seconds }) {
  $('waiting-position').textContent = position === null || position === undefined
    ? ''
    : (position <= 1 ? t('waiting.next') : t('waiting.position', { position }));
  $('waiting-estimate').textContent = t('waiting.estimate', { time: waitPhrase(seconds) });
}

function addProviderMessage({ text, at }) {
  const li = document.createElement('li');
  const time = document.createElement('time');
  time.dateTime = at.toISOString();
  time.textContent = new Intl.DateTimeFormat(language(), { timeStyle: 'short' }).format(at);
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  li.append(time, ' ', body);
  $('messages').append(li);
  $('no-messages').hidden = true;
}

function enterWaitingRoom(token) {
  app.waiting?.stop();
  const saved = loadSession(app.code) ?? {};
  $('waiting-intro').textContent = app.visit?.provider_name
    ? t('waiting.intro', { provider: app.visit.provider_name })
    : t('waiting.intro-generic');
  $('waiting-position').textContent = '';
  $('waiting-estimate').textContent = '';
  $('messages').replaceChildren();
  $('no-messages').hidden = false;
  const verdict = app.verdict?.verdict ?? saved.verdict;
  $('waiting-verdict').textContent = verdict ? t('waiting.your-connection', { verdict, label: verdictLabel(verdict) }) : '';
  $('waiting-leave').disabled = false;
  show('waiting');

  const room = new WaitingRoom({ token });
  app.waiting = room;
  room.on('state', (state) => {
    if (app.waiting !== room)
      return;
    const key = { connecting: 'waiting.connecting', waiting: 'waiting.connected', reconnecting: 'waiting.reconnecting' }[state];
    if (key) {
      $('waiting-connection').textContent = t(key);
      $('waiting-connection').dataset.state = state;
      if (state !== 'connecting')
        announce(t(key));
    }
  });
  room.on('position', renderPosition);
  room.on('provider-message', addProviderMessage);
  room.on('admitted', ({ room: roomName }) => {
    saveSession(app.code, { room: roomName });
    announce(t('waiting.admitted'));
    startCall(roomName);
  });
  room.on('removed', ({ message }) => {
    clearSession(app.code);
    showEnded('ended.title-wait', message ? t('ended.removed-with-message', { message }) : t('ended.removed'));
  });
  room.on('left', () => {
    clearSession(app.code);
    showEnded('ended.title-wait', t('ended.left-queue'), checkInAgain());
  });
  room.on('token-invalid', () => {
    clearSession(app.code);
    showEnded('ended.title-checkin', t('ended.token-invalid'), checkInAgain());
  });
  room.start();
}

async function onLeaveQueue() {
  $('waiting-leave').disabled = true;
  announce(t('waiting.leaving'));
  await app.waiting?.leave();
}

// -------------------------------------------------------------------- call

const MEDIA_ERRORS = new Set(['NotAllowedError', 'NotFoundError', 'NotReadableError', 'OverconstrainedError', 'AbortError', 'SecurityError']);

function updateCallControls() {
  const call = app.call;
  const micOn = call?.micEnabled ?? false;
  const cameraOn = call?.cameraEnabled ?? false;
  const mic = $('call-mic');
  const camera = $('call-camera');
  mic.setAttribute('aria-pressed', String(micOn));
  mic.textContent = t(micOn ? 'call.mic-on' : 'call.mic-off');
  mic.disabled = !call?.localStream?.getAudioTracks().length;
  camera.setAttribute('aria-pressed', String(cameraOn));
  camera.textContent = t(cameraOn ? 'call.camera-on' : 'call.camera-off');
  camera.disabled = !call?.localStream?.getVideoTracks().length;
}

/** Sends remote audio to the speaker chosen in the preflight. */
const speakerObserver = new MutationObserver((records) => {
  const sinkId = loadSession(app.code)?.devices?.speakerId;
  if (!sinkId || !canChooseSpeaker())
    return;
  for (const record of records) {
    for (const node of record.addedNodes) {
      const audios = node.nodeType === 1 ? [...(node.matches('audio') ? [node] : []), ...node.querySelectorAll('audio')] : [];
      for (const audio of audios)
        audio.setSinkId(sinkId).catch(() => {});
    }
  }
});

async function startCall(roomName) {
  app.waiting?.stop();
  const saved = loadSession(app.code);
  if (!saved?.token) {
    showEnded('ended.title-checkin', t('ended.token-invalid'), checkInAgain());
    return;
  }
  if (app.call && app.call.state !== 'ended' && app.call.state !== 'failed')
    return;
  $('stage').replaceChildren();
  setError('call-error', '');
  show('call');
  announce(t('call.connecting'));
  speakerObserver.observe($('stage'), { childList: true, subtree: true });

  const devices = saved.devices ?? {};
  const base = {
    token: saved.token,
    room: roomName,
    stage: $('stage'),
    ...callOptionsFor(app.profile),
    audioDeviceId: devices.micId ?? undefined,
    videoDeviceId: devices.cameraId ?? undefined,
  };
  // What to capture: what worked in the preflight, then less if that fails now.
  const wanted = { audio: devices.microphone !== false, video: devices.camera !== false };
  const attempts = [wanted, { audio: wanted.audio, video: false }, { audio: false, video: false }]
    .filter((a, i, all) => all.findIndex((b) => b.audio === a.audio && b.video === a.video) === i);

  for (const media of attempts) {
    const call = new Call({ ...base, ...media });
    app.call = call;
    wireCall(call, roomName);
    try {
      await call.start();
      updateCallControls();
      announce(t('call.joined'));
      return;
    } catch (error) {
      if (call.state === 'joined' || call.state === 'reconnecting') {
        // In the room, but the first publish failed (it keeps retrying).
        setError('call-error', t('call.no-video-sent'));
        updateCallControls();
        return;
      }
      if (MEDIA_ERRORS.has(error?.name))
        continue;     // try again with less
      if (error?.code === NOT_ADMITTED || error?.code === TOKEN_ROOM_MISMATCH) {
        // Not (or no longer) admitted to that room: back to the queue.
        saveSession(app.code, { room: null });
        enterWaitingRoom(saved.token);
        return;
      }
      if ((error?.code >= 20100 && error?.code < 20200) || error?.error === 'token-revoked') {
        clearSession(app.code);
        showEnded('ended.title-checkin', t('ended.token-invalid'), checkInAgain());
        return;
      }
      showEnded('ended.title-problem', t('call.failed'), { label: t('ended.rejoin'), run: () => startCall(roomName) });
      return;
    }
  }
}

/** The banner above the stage: "Reconnecting…" while the connection is
 * down (the socket, or the media transport: level 0), else "audio only"
 * while the video is paused for a weak connection. */
function updateCallBanner(call) {
  const banner = $('call-banner');
  const down = call.state === 'reconnecting' || call.networkQuality?.level === 0;
  const text = down ? t('call.reconnecting') : (call.audioOnly ? t('call.audio-only') : '');
  banner.textContent = text;
  banner.hidden = !text;
  banner.dataset.kind = down ? 'reconnecting' : (call.audioOnly ? 'audio-only' : '');
}

function wireCall(call, roomName) {
  call.on('state', (state) => {
    if (app.call !== call)
      return;
    if (state === 'joined')
      announce(t('call.joined'));
    else if (state === 'reconnecting')
      announce(t('call.reconnecting'));
    updateCallBanner(call);
    updateCallControls();
  });
  call.on('network-quality', () => {
    if (app.call === call)
      updateCallBanner(call);
  });
  call.on('audio-only', (on) => {
    if (app.call !== call)
      return;
    announce(on ? t('call.audio-only') : t('call.video-resumed'));
    updateCallBanner(call);
    updateCallControls();
  });
  call.on('ended', ({ reason, message }) => {
    if (app.call !== call)
      return;
    switch (reason) {
      case 'room-completed':
        clearSession(app.code);
        showEnded('ended.title', t('ended.visit-ended'));
        break;
      case 'removed':
        clearSession(app.code);
        showEnded('ended.title-wait', message ? t('ended.removed-with-message', { message }) : t('ended.removed'));
        break;
      case 'left':
        showEnded('ended.title', t('ended.left-call'), { label: t('ended.rejoin'), run: () => startCall(roomName) });
        break;
      case 'authentication-failed':
      case 'token-revoked':
        clearSession(app.code);
        showEnded('ended.title-checkin', t('ended.token-invalid'), checkInAgain());
        break;
      default:
        showEnded('ended.title-problem', t('ended.connection-lost'), { label: t('ended.rejoin'), run: () => startCall(roomName) });
    }
  });
}

// ---------------------------------------------------------------- wire-up

$('checkin-form').addEventListener('submit', onCheckinSubmit);
$('devices-next').addEventListener('click', onDevicesNext);
$('devices-retry').addEventListener('click', () => {
  app.media ??= new LocalMedia();
  openDevices({}).catch(() => {});
});
$('camera-select').addEventListener('change', () => {
  openDevices({ cameraId: $('camera-select').value, micId: app.media?.currentIds().micId }).catch(() => {});
});
$('mic-select').addEventListener('change', () => {
  openDevices({ cameraId: app.media?.currentIds().cameraId, micId: $('mic-select').value }).catch(() => {});
});
$('test-sound').addEventListener('click', async () => {
  const button = $('test-sound');
  button.disabled = true;
  announce(t('devices.playing'));
  try {
    app.media ??= new LocalMedia();
    await app.media.playTestTone({ sinkId: $('speaker-select').value });
    announce(t('devices.played'));
  } finally {
    button.disabled = false;
  }
});
$('network-next').addEventListener('click', onNetworkNext);
$('network-retry').addEventListener('click', onNetworkRetry);
$('waiting-leave').addEventListener('click', onLeaveQueue);
$('call-mic').addEventListener('click', () => {
  app.call?.setMicEnabled(!app.call.micEnabled);
  updateCallControls();
});
$('call-camera').addEventListener('click', () => {
  app.call?.setCameraEnabled(!app.call.cameraEnabled);
  updateCallControls();
});
$('call-leave').addEventListener('click', () => app.call?.leave());
navigator.mediaDevices?.addEventListener?.('devicechange', () => {
  if (app.view === 'devices')
    refreshDeviceLists();
});

// For the tests, and the curious: the page's state, read-only.
window.housecall = {
  get view() { return app.view; },
  get call() { return app.call; },
  get waitingRoom() { return app.waiting; },
  get media() { return app.media; },
  get profile() { return app.profile; },
  get verdict() { return app.verdict; },
  get network() { return app.networkRun; },
  get checkins() { return app.checkins; },
  get language() { return language(); },
};

boot().catch((error) => {
  console.error('patient app:', error);
  showError(t('error.server'), () => window.location.reload());
});
