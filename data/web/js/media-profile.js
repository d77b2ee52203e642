// SPDX-License-Identifier: GPL-3.0-or-later
//
// Capture and bitrate profiles of the patient's call (DESIGN.md, "The visit,
// end to end", 3): 1280x720 @ 24 fps from desktop browsers; 640x480 @ 24 fps
// with the video capped at 1000 kbps from phones. Pure functions.
//
// Phones keep VP8 simulcast (the provider's console picks layers by the
// dominant speaker), but with two layers, not three: Chromium gives a source
// of 640x480 at most two simulcast layers (its table: from 960x540 three,
// from 640x360 two) and silently drops the *highest* encodings beyond that,
// so three encodings of 1/4, 1/2 and 1/1 would leave only 160x120 and
// 320x240 on the wire. The two layers are 320x240 (rid l, 250 kbps) and
// 640x480 (rid h, 750 kbps): 1000 kbps at most in all. The media server
// takes the rids in order, lowest first; a subscriber asking for the high
// substream gets the highest there is. In a room without simulcast (H.264)
// the single encoding gets the whole 1000 kbps.

/** How a phone is told from a desktop: a coarse pointer and a small screen,
 * or the browser saying so (User-Agent Client Hints). A tablet, coarse but
 * large, gets the desktop profile. */
export const PHONE_MAX_SHORT_SIDE = 600;

export function isPhone({ coarsePointer = false, screenWidth = 0, screenHeight = 0, uaMobile } = {}) {
  if (uaMobile === true)
    return true;
  const shortSide = Math.min(screenWidth || Infinity, screenHeight || Infinity);
  return Boolean(coarsePointer) && shortSide <= PHONE_MAX_SHORT_SIDE;
}

export const DESKTOP = Object.freeze({ mobile: false, width: 1280, height: 720, fps: 24, maxVideoBitrate: 1500000 });
export const PHONE = Object.freeze({ mobile: true, width: 640, height: 480, fps: 24, maxVideoBitrate: 1000000 });

/** The phone's simulcast encodings, lowest first (see above). */
export const PHONE_SIMULCAST_ENCODINGS = Object.freeze([
  Object.freeze({ rid: 'l', scaleResolutionDownBy: 2, maxBitrate: 250000 }),
  Object.freeze({ rid: 'h', scaleResolutionDownBy: 1, maxBitrate: 750000 }),
]);

/**
 * @encodings with every maxBitrate scaled by one factor so that they add up
 * to at most @totalBps (unchanged if they already do). Bitrates are rounded
 * down to whole bits per second.
 */
export function scaleEncodings(encodings, totalBps) {
  const sum = encodings.reduce((acc, e) => acc + (e.maxBitrate ?? 0), 0);
  if (sum <= totalBps || sum === 0)
    return encodings.map((e) => ({ ...e }));
  const factor = totalBps / sum;
  return encodings.map((e) => (e.maxBitrate === undefined ? { ...e } : { ...e, maxBitrate: Math.floor(e.maxBitrate * factor) }));
}

/**
 * The Call options (js/call.js) for a profile: capture size and rate, the
 * simulcast encodings and the single encoding's cap. Desktops use the
 * call's own defaults (call.js SIMULCAST_ENCODINGS).
 */
export function callOptionsFor(profile) {
  const options = { width: profile.width, height: profile.height, fps: profile.fps };
  if (profile.mobile) {
    options.simulcastEncodings = scaleEncodings(PHONE_SIMULCAST_ENCODINGS, profile.maxVideoBitrate);
    options.singleEncodingMaxBitrate = profile.maxVideoBitrate;
  }
  return options;
}
