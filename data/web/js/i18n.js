// SPDX-License-Identifier: GPL-3.0-or-later
//
// Every string the patient web app shows, in one table per language, and
// t(key, params) to look them up. English is here; Spanish and French are in
// i18n-es.js and i18n-fr.js (complete: tests/browser/i18n-unit.test.mjs), and
// one is chosen from the browser's languages (navigator.languages) by
// chooseLanguage(). Another language is one more file and one more line in
// MESSAGES.
// A key missing from that table falls back to English, so a partial
// translation never shows a raw key.
//
// A message is a string with {name} placeholders, or an object of plural
// forms keyed by Intl.PluralRules categories ('one', 'other', …) chosen by
// params.count. Keep sentences whole (no concatenating fragments): word
// order differs between languages.
//
// Nothing here touches the DOM or `navigator` when the module is loaded, so
// Node's test runner imports it as it is (tests/browser/preflight-unit.test.mjs).

import { ES } from './i18n-es.js';
import { FR } from './i18n-fr.js';

export const MESSAGES = {
  es: ES,
  fr: FR,
  en: {
    // The page
    'app.name': 'Housecall',
    'app.title': 'Video visit',
    'boot.loading': 'Loading your visit…',

    // A link that is not (or no longer) valid, and other dead ends
    'invalid.title': 'This link does not work',
    'invalid.body': 'This visit link is not valid any more. Ask the clinic for a new one.',
    'error.unreachable': 'We could not reach the clinic. Check your internet connection and try again.',
    'error.rate-limited': 'Too many attempts. Wait a minute, then try again.',
    'error.server': 'Something went wrong at the clinic’s end. Please try again in a moment.',
    'error.retry': 'Try again',

    // Check-in
    'checkin.title': 'Check in for your video visit',
    'checkin.with': 'With {provider}, {clinic}',
    'checkin.when': '{time}',
    'checkin.name': 'Your full name',
    'checkin.name-hint': 'So the clinic knows it is you.',
    'checkin.intake': 'Before your visit',
    'checkin.optional': '{label} (optional)',
    'checkin.consent': 'I agree to have this visit by video.',
    'checkin.copay-title': 'Copay',
    'checkin.copay': 'I have read the copay information above.',
    'checkin.copay-generic': 'Your usual copay or visit fee may apply to this video visit.',
    'checkin.next': 'Next: camera and microphone',
    'checkin.sending': 'Checking you in…',
    'checkin.error.name': 'Enter your name.',
    'checkin.error.consent': 'To have a video visit, tick the box to agree.',
    'checkin.error.copay': 'Tick the box to confirm you have read the copay information.',
    'checkin.error.required': 'Please answer: {label}',
    'checkin.error.refused': 'The clinic could not check you in: {message}',
    'checkin.steps': 'Step {step} of {total}',

    // Preflight: browser, camera, microphone, speaker
    'devices.title': 'Check your camera and microphone',
    'devices.intro': 'Your browser will ask to use your camera and microphone. Choose “Allow”.',
    'support.insecure': 'This page must be opened over a secure (https) connection. Use the link from your invitation.',
    'support.missing': 'This browser cannot make video calls. Use a recent Chrome, Edge, Firefox or Safari.',
    'devices.asking': 'Asking for your camera and microphone…',
    'devices.ok': 'Your camera and microphone are working.',
    'devices.camera-only': 'Your camera works, but no microphone is available: the provider will not hear you.',
    'devices.mic-only': 'Your microphone works, but no camera is available: the provider will not see you.',
    'devices.denied': 'Your browser is blocking the camera and microphone.',
    'devices.not-found': 'No camera or microphone was found. Connect one, then press “Try again”.',
    'devices.in-use': 'Another app is using your camera or microphone. Close it, then press “Try again”.',
    'devices.failed': 'Your camera and microphone could not be started.',
    'devices.retry': 'Try again',
    'devices.camera': 'Camera',
    'devices.microphone': 'Microphone',
    'devices.speaker': 'Speaker',
    'devices.unnamed-camera': 'Camera {n}',
    'devices.unnamed-microphone': 'Microphone {n}',
    'devices.unnamed-speaker': 'Speaker {n}',
    'devices.default-speaker': 'Default speaker',
    'devices.preview': 'Your camera preview',
    'devices.level': 'Microphone level',
    'devices.level-hint': 'Say something: the bar should move.',
    'devices.heard': 'We can hear your microphone.',
    'devices.test-sound': 'Play test sound',
    'devices.test-sound-hint': 'You should hear a short tone. If not, turn up the volume or choose another speaker.',
    'devices.playing': 'Playing a test sound…',
    'devices.played': 'Test sound played.',
    'devices.continue': 'Next: test my connection',
    'hint.chrome': 'In Chrome: click the camera icon at the right end of the address bar, choose “Always allow”, then press “Try again”.',
    'hint.chrome-android': 'In Chrome: tap the icon at the left of the address bar, then “Permissions”, allow Camera and Microphone, then press “Try again”.',
    'hint.edge': 'In Edge: click the camera icon at the right end of the address bar, choose “Always allow”, then press “Try again”.',
    'hint.firefox': 'In Firefox: click the crossed-out camera icon at the left of the address bar, clear the blocks, then press “Try again”.',
    'hint.safari': 'In Safari: choose Safari › Settings for This Website, set Camera and Microphone to “Allow”, then press “Try again”.',
    'hint.safari-ios': 'On iPhone or iPad: tap “aA” in the address bar, then “Website Settings”, set Camera and Microphone to “Allow”, then press “Try again”.',
    'hint.samsung': 'In Samsung Internet: tap the lock icon in the address bar, then “Permissions”, allow Camera and Microphone, then press “Try again”.',
    'hint.other': 'Allow this site to use your camera and microphone in your browser’s settings, then press “Try again”.',

    // Preflight: the network test
    'network.title': 'Test your connection',
    'network.running': 'Checking your connection to the video service. This takes about 5 seconds.',
    'network.connecting': 'Connecting to the video service…',
    'network.measuring': 'Measuring your connection…',
    'network.progress': 'Connection test progress',
    'network.result': 'Result: {verdict} out of 5 ({label}).',
    'network.details': 'Round trip {rtt} ms, jitter {jitter} ms, loss {loss}%, upload {kbps} kbps, {route}.',
    'network.all-good': 'Everything looks good for a video visit.',
    'network.advice': 'Tips: move closer to your Wi-Fi router, close other apps and videos, or switch between Wi-Fi and mobile data.',
    'network.retry': 'Test again',
    'network.continue': 'Go to the waiting room',
    'verdict.1': 'very poor',
    'verdict.2': 'poor',
    'verdict.3': 'fair',
    'verdict.4': 'good',
    'verdict.5': 'excellent',
    'route.host': 'direct connection',
    'route.srflx': 'through your router',
    'route.prflx': 'through your router',
    'route.relay': 'through a relay server',
    'route.unknown': 'route unknown',

    // Reasons for a verdict. These are also sent to the clinic (in English).
    'reason.unsupported': 'This browser cannot make video calls',
    'reason.no-camera': 'No camera available',
    'reason.no-microphone': 'No microphone available',
    'reason.not-tested': 'The connection test has not run yet',
    'reason.unreachable': 'The video service could not be reached',
    'reason.rtt-fair': 'Your connection has some delay ({ms} ms)',
    'reason.rtt-high': 'Your connection has a long delay ({ms} ms)',
    'reason.rtt-very-high': 'Your connection has a very long delay ({ms} ms)',
    'reason.jitter-fair': 'Your connection is a little uneven ({ms} ms jitter)',
    'reason.jitter-high': 'Your connection is uneven ({ms} ms jitter)',
    'reason.loss-some': 'Some data is lost on the way ({percent}%)',
    'reason.loss-high': 'Much data is lost on the way ({percent}%)',
    'reason.loss-very-high': 'Most video would be lost on the way ({percent}%)',
    'reason.bitrate-limited': 'Your upload is limited ({kbps} kbps)',
    'reason.bitrate-slow': 'Your upload is slow ({kbps} kbps): video may be blurry',
    'reason.bitrate-very-slow': 'Your upload is very slow ({kbps} kbps): video may freeze',
    'reason.bitrate-too-slow': 'Your upload is too slow for video ({kbps} kbps)',
    'reason.relay': 'Your network blocks direct connections, so a relay is used',

    // The waiting room
    'waiting.title': 'You are in the waiting room',
    'waiting.intro': '{provider} will let you in. Keep this page open.',
    'waiting.intro-generic': 'The clinic will let you in. Keep this page open.',
    'waiting.next': 'You are next.',
    'waiting.position': 'You are number {position} in line.',
    'waiting.estimate': 'Estimated wait: {time}.',
    'waiting.connecting': 'Connecting to the waiting room…',
    'waiting.connected': 'Connected to the waiting room.',
    'waiting.reconnecting': 'Connection lost. Reconnecting…',
    'waiting.messages': 'Messages from the clinic',
    'waiting.no-messages': 'No messages yet.',
    'waiting.your-connection': 'Your check before the visit: {verdict} out of 5 ({label}).',
    'waiting.leave': 'Leave the waiting room',
    'waiting.leaving': 'Leaving the waiting room…',
    'waiting.admitted': 'The provider is ready. Joining the visit…',
    'wait.soon': 'less than a minute',
    'wait.minutes': { one: 'about {count} minute', other: 'about {count} minutes' },
    'wait.hours': { one: 'about {count} hour', other: 'about {count} hours' },
    'wait.unknown': 'not known yet',

    // The call
    'call.title': 'Your video visit',
    'call.connecting': 'Joining the visit…',
    'call.joined': 'In the visit',
    'call.reconnecting': 'Connection lost. Reconnecting…',
    'call.stage': 'Participants',
    'call.controls': 'Call controls',
    'call.mic-on': 'Microphone on',
    'call.mic-off': 'Microphone off',
    'call.camera-on': 'Camera on',
    'call.camera-off': 'Camera off',
    'call.leave': 'Leave visit',
    'call.no-video-sent': 'You are in the visit, but your video could not be sent.',
    'call.failed': 'Could not join the visit. Check your connection and try again.',
    'tile.you': 'You',
    'tile.your-camera': 'Your camera',
    'tile.video-of': 'Video of {name}',
    'tile.muted': 'Muted',
    'tile.no-video': 'No video',
    'call.audio-only': 'Your connection is too weak for video, so your camera is paused. The visit goes on with sound; video comes back when the connection improves.',
    'call.video-resumed': 'Your connection has improved: your video is back on.',
    'nq.level': 'Network quality {level} of 5',
    'nq.self.reconnecting': 'Your connection is broken. Reconnecting…',
    'nq.self.send-loss': 'High packet loss on your upload',
    'nq.self.send-bandwidth': 'Your upload is limited',
    'nq.self.recv-loss': 'High packet loss on your download',
    'nq.self.recv-bandwidth': 'Your download is limited',
    'nq.self.latency': 'Your connection has a long delay',
    'nq.self.jitter': 'Your connection is unsteady',
    'nq.self.audio-only': 'Audio only: your connection is too weak for video',
    'nq.remote.reconnecting': '{name}’s connection is broken. Reconnecting…',
    'nq.remote.send-loss': 'High packet loss on {name}’s upload',
    'nq.remote.send-bandwidth': '{name}’s upload is limited',
    'nq.remote.recv-loss': 'High packet loss on {name}’s download',
    'nq.remote.recv-bandwidth': '{name}’s download is limited',
    'nq.remote.latency': '{name}’s connection has a long delay',
    'nq.remote.jitter': '{name}’s connection is unsteady',
    'nq.remote.audio-only': 'Audio only: {name}’s connection is too weak for video',

    // The guest page (call.html): interpreters and family members invited by link
    'guest.page-title': 'Housecall — video visit',
    'guest.join-title': 'Join a video visit',
    'guest.join-hint': 'Your camera and microphone are used only during the visit.',
    'guest.token': 'Access token',
    'guest.token-hint': 'The code from your visit invitation.',
    'guest.room': 'Room',
    'guest.join': 'Join visit',
    'guest.call': 'Video visit',
    'guest.status.idle': 'Not connected',
    'guest.status.connecting': 'Connecting…',
    'guest.status.joined': 'In the visit',
    'guest.status.reconnecting': 'Connection lost — reconnecting…',
    'guest.status.ended': 'The visit has ended',
    'guest.status.failed': 'Could not join the visit',
    'guest.error.invalid': 'This invitation has expired or is not valid. Ask the clinic for a new link.',
    'guest.error.revoked': 'This invitation was withdrawn by the clinic.',
    'guest.error.lost': 'The connection was lost. Check your network and join again.',
    'guest.error.wrong-room': 'This invitation is for a different room.',
    'guest.error.full': 'The visit is full.',
    'guest.error.completed': 'This visit has already ended.',
    'guest.error.removed': 'The provider removed you from the visit.',
    'guest.error.denied': 'Camera and microphone access was denied. Allow it in the browser and try again.',
    'guest.error.no-devices': 'No camera or microphone was found.',
    'guest.error.generic': 'Something went wrong. Please try again.',
    'guest.ended-by-provider': 'The provider has ended the visit.',
    'guest.no-video-sent': 'In the visit, but your video could not be sent: {reason}',
    'guest.reconnecting': 'Reconnecting…',
    'guest.audio-only': 'Your connection is too weak for video: audio only until it improves.',

    // The end of the road
    'ended.title': 'Thank you',
    'ended.title-wait': 'Your wait has ended',
    'ended.title-checkin': 'Please check in again',
    'ended.title-problem': 'The visit was interrupted',
    'ended.left-queue': 'You left the waiting room.',
    'ended.removed': 'The clinic ended your wait.',
    'ended.removed-with-message': 'The clinic ended your wait: “{message}”',
    'ended.visit-ended': 'The visit has ended. You can close this page.',
    'ended.left-call': 'You left the visit.',
    'ended.token-invalid': 'Your check-in is no longer valid. Please check in again.',
    'ended.connection-lost': 'The connection was lost.',
    'ended.checkin-again': 'Check in again',
    'ended.rejoin': 'Rejoin the visit',
  },
};

export const DEFAULT_LANGUAGE = 'en';

let current = DEFAULT_LANGUAGE;

/** The languages with a message table. */
export function availableLanguages() {
  return Object.keys(MESSAGES);
}

/**
 * The best language of ours for a list of the browser's preferences
 * (navigator.languages, e.g. ['es-MX', 'en-US']): an exact match, else the
 * same primary language, else English.
 */
export function chooseLanguage(preferred = globalThis.navigator?.languages ?? []) {
  const have = availableLanguages();
  for (const tag of preferred) {
    const lower = String(tag).toLowerCase();
    const exact = have.find((l) => l.toLowerCase() === lower);
    if (exact)
      return exact;
    const primary = have.find((l) => l.toLowerCase() === lower.split('-')[0]);
    if (primary)
      return primary;
  }
  return DEFAULT_LANGUAGE;
}

export function setLanguage(lang) {
  current = MESSAGES[lang] ? lang : DEFAULT_LANGUAGE;
  return current;
}

export function language() {
  return current;
}

function lookup(key, lang) {
  return MESSAGES[lang]?.[key] ?? MESSAGES[DEFAULT_LANGUAGE][key];
}

/** Whether @key is in the English table (every key must be). */
export function hasMessage(key) {
  return Object.prototype.hasOwnProperty.call(MESSAGES[DEFAULT_LANGUAGE], key);
}

/**
 * The message @key in @lang (default: the current language) with {name}
 * placeholders filled from @params. A plural message picks its form with
 * params.count. An unknown key comes back as the key itself, so a mistake is
 * visible instead of blank.
 */
export function t(key, params = {}, lang = current) {
  let message = lookup(key, lang);
  if (message === undefined) {
    globalThis.console?.warn?.(`i18n: no message "${key}"`);
    return key;
  }
  if (typeof message === 'object') {
    const category = new Intl.PluralRules(lang).select(Number(params.count ?? 0));
    message = message[category] ?? message.other;
  }
  return message.replace(/\{(\w+)\}/g, (whole, name) =>
    (Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole));
}

/**
 * A wait as people say it: "less than a minute", "about 10 minutes",
 * "about 2 hours". @seconds is the server's estimated_wait_seconds (already
 * rounded to the minute); null or a negative number is "not known yet".
 */
export function waitPhrase(seconds, lang = current) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds)) || seconds < 0)
    return t('wait.unknown', {}, lang);
  const minutes = Math.round(Number(seconds) / 60);
  if (minutes < 1)
    return t('wait.soon', {}, lang);
  if (minutes < 90)
    return t('wait.minutes', { count: minutes }, lang);
  return t('wait.hours', { count: Math.round(minutes / 60) }, lang);
}

/**
 * Fills the static page from the table: textContent of every element with
 * data-i18n="key", and attributes named in data-i18n-attr="attr:key;attr:key".
 */
export function localize(root = globalThis.document) {
  for (const el of root.querySelectorAll('[data-i18n]'))
    el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key)
        el.setAttribute(attr, t(key));
    }
  }
}
