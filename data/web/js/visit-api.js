// SPDX-License-Identifier: GPL-3.0-or-later
//
// The visit's REST calls (docs/waiting-room.md; the visit code is the
// credential, no Authorization) and what the page keeps between reloads of
// the tab. The patient token lives in sessionStorage only: never in the URL
// (it would end up in the history and in logs) and never in localStorage (it
// would outlive the tab and be shared with other tabs).

/** The visit code of a /v/<code> path, or null. Any 1–64 URL-safe characters:
 * the server, not the page, decides whether a code is good. */
export function codeFromPath(pathname) {
  const match = /^\/v\/([A-Za-z0-9_-]{1,64})\/?$/.exec(pathname);
  return match ? match[1] : null;
}

/**
 * An HTTP failure: status (0 when the server could not be reached), error
 * (the JSON body's slug, e.g. 'visit-link-invalid'), message.
 */
export class ApiError extends Error {
  constructor(status, body = {}) {
    super(body.message ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.error = body.error ?? (status === 0 ? 'unreachable' : 'http');
    this.code = body.code;
  }
}

async function call(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError(0, {});
  }
  let json = {};
  try {
    json = await response.json();
  } catch {
    // Not JSON: the status says enough.
  }
  if (!response.ok)
    throw new ApiError(response.status, json);
  return json;
}

/** GET /v1/Visits/{code} → the visit; ApiError 404 for any code that is not open. */
export function getVisit(code) {
  return call('GET', `/v1/Visits/${encodeURIComponent(code)}`);
}

/** POST /v1/Visits/{code}/CheckIn → { token, identity, position, estimated_wait_seconds }. */
export function checkIn(code, body) {
  return call('POST', `/v1/Visits/${encodeURIComponent(code)}/CheckIn`, body);
}

// ------------------------------------------------------------ the tab's memory

const KEY_PREFIX = 'housecall.visit.';

function storage() {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    // Storage blocked (some privacy modes): the page still works, only a
    // reload starts over.
    return null;
  }
}

/**
 * What this tab remembers of @code: { token, identity, room, devices,
 * verdict } or null.
 */
export function loadSession(code) {
  try {
    const raw = storage()?.getItem(KEY_PREFIX + code);
    const value = raw ? JSON.parse(raw) : null;
    return value && typeof value.token === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Merges @fields into what this tab remembers of @code. */
export function saveSession(code, fields) {
  const next = { ...(loadSession(code) ?? {}), ...fields };
  try {
    storage()?.setItem(KEY_PREFIX + code, JSON.stringify(next));
  } catch {
    // Full or blocked: a reload will start over, nothing worse.
  }
  return next;
}

export function clearSession(code) {
  try {
    storage()?.removeItem(KEY_PREFIX + code);
  } catch {
    // nothing to clear
  }
}
