// SPDX-License-Identifier: GPL-3.0-or-later
//
// The local half of the preflight: camera and microphone (with what went
// wrong when they cannot be had), the device lists, a microphone level from
// a WebAudio AnalyserNode, and a test tone from a WebAudio oscillator,
// played on the chosen speaker where the browser can choose one
// (HTMLMediaElement.setSinkId).

/** Whether this browser can send sound to a chosen output device. */
export function canChooseSpeaker() {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/**
 * What a getUserMedia failure means for the patient: 'denied' (blocked by
 * the user or the browser), 'not-found' (no such device), 'in-use' (another
 * program holds it), or 'failed'.
 */
export function classifyMediaError(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'not-found';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'in-use';
    default:
      return 'failed';
  }
}

const dbToLevel = (rms) => {
  if (rms <= 0)
    return 0;
  // -60 dBFS and below is silence, 0 dBFS full scale.
  const db = 20 * Math.log10(rms);
  return Math.max(0, Math.min(1, (db + 60) / 60));
};

export class LocalMedia {
  constructor() {
    this.stream = null;
    this.cameraOk = false;
    this.micOk = false;
    this.problem = null;         // classifyMediaError() of the failure, or null
    this.lastToneLevel = 0;      // the loudest the last test tone was (0–1)
    this.maxMicLevel = 0;        // the loudest the microphone has been (0–1)
    this.audioContext = null;
    this.meterTimer = null;
  }

  /**
   * Opens the camera and the microphone (@cameraId/@micId preferred), at
   * @width x @height @fps. If both together fail, tries each alone, so a
   * patient without a camera still gets the microphone. Resolves this.
   */
  async open({ cameraId, micId, width = 1280, height = 720, fps = 24 } = {}) {
    this.stopTracks();
    const video = { width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: fps } };
    const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    if (cameraId)
      video.deviceId = { exact: cameraId };
    if (micId)
      audio.deviceId = { exact: micId };
    const gum = (constraints) => navigator.mediaDevices.getUserMedia(constraints);
    let firstError = null;
    try {
      this.stream = await gum({ audio, video });
    } catch (error) {
      firstError = error;
      const tracks = [];
      for (const constraints of [{ video }, { audio }]) {
        try {
          tracks.push(...(await gum(constraints)).getTracks());
        } catch {
          // Reported through the flags below.
        }
      }
      this.stream = new MediaStream(tracks);
    }
    this.cameraOk = this.stream.getVideoTracks().length > 0;
    this.micOk = this.stream.getAudioTracks().length > 0;
    this.problem = this.cameraOk && this.micOk ? null : classifyMediaError(firstError);
    return this;
  }

  get videoTrack() {
    return this.stream?.getVideoTracks()[0] ?? null;
  }

  get audioTrack() {
    return this.stream?.getAudioTracks()[0] ?? null;
  }

  /** The device ids in use now: { cameraId, micId }. */
  currentIds() {
    return {
      cameraId: this.videoTrack?.getSettings().deviceId ?? null,
      micId: this.audioTrack?.getSettings().deviceId ?? null,
    };
  }

  /** { cameras, mics, speakers }: lists of { deviceId, label } (labels may be empty before permission). */
  async listDevices() {
    const all = await navigator.mediaDevices.enumerateDevices();
    const pick = (kind) => all.filter((d) => d.kind === kind && d.deviceId !== '')
      .map((d) => ({ deviceId: d.deviceId, label: d.label }));
    return {
      cameras: pick('videoinput'),
      mics: pick('audioinput'),
      speakers: canChooseSpeaker() ? pick('audiooutput') : [],
    };
  }

  #context() {
    if (!this.audioContext || this.audioContext.state === 'closed')
      this.audioContext = new AudioContext();
    this.audioContext.resume?.().catch(() => {});
    return this.audioContext;
  }

  /** Calls @onLevel(0–1) about ten times a second with the microphone's level. */
  startMeter(onLevel) {
    this.stopMeter();
    const track = this.audioTrack;
    if (!track)
      return;
    const ctx = this.#context();
    const source = ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    source.connect(analyser);
    const buffer = new Float32Array(analyser.fftSize);
    this.meterTimer = setInterval(() => {
      analyser.getFloatTimeDomainData(buffer);
      let sum = 0;
      for (const v of buffer)
        sum += v * v;
      const level = dbToLevel(Math.sqrt(sum / buffer.length));
      this.maxMicLevel = Math.max(this.maxMicLevel, level);
      onLevel(level);
    }, 100);
    this.meterSource = source;
  }

  stopMeter() {
    clearInterval(this.meterTimer);
    this.meterTimer = null;
    try {
      this.meterSource?.disconnect();
    } catch {
      // already disconnected
    }
    this.meterSource = null;
  }

  /**
   * Plays a short 440 Hz tone (fading in and out, so it does not click) on
   * the speaker @sinkId (the default one when empty or when the browser
   * cannot choose). Resolves when it has finished.
   */
  async playTestTone({ sinkId = '', seconds = 1.2 } = {}) {
    const ctx = this.#context();
    await ctx.resume?.();
    const oscillator = ctx.createOscillator();
    oscillator.type = 'sine';
    oscillator.frequency.value = 440;
    const gain = ctx.createGain();
    const now = ctx.currentTime;
    gain.gain.setValueAtTime(0, now);
    gain.gain.linearRampToValueAtTime(0.25, now + 0.05);
    gain.gain.setValueAtTime(0.25, now + seconds - 0.1);
    gain.gain.linearRampToValueAtTime(0, now + seconds);
    oscillator.connect(gain);

    // Measure what is played, so the page (and a test) knows sound went out.
    const analyser = ctx.createAnalyser();
    gain.connect(analyser);
    const buffer = new Float32Array(analyser.fftSize);
    this.lastToneLevel = 0;
    const probe = setInterval(() => {
      analyser.getFloatTimeDomainData(buffer);
      let sum = 0;
      for (const v of buffer)
        sum += v * v;
      this.lastToneLevel = Math.max(this.lastToneLevel, dbToLevel(Math.sqrt(sum / buffer.length)));
    }, 50);

    let element = null;
    if (sinkId && canChooseSpeaker()) {
      const destination = ctx.createMediaStreamDestination();
      gain.connect(destination);
      element = new Audio();
      element.srcObject = destination.stream;
      try {
        await element.setSinkId(sinkId);
      } catch {
        // The device went away: the default speaker it is.
      }
      await element.play().catch(() => {});
    } else {
      gain.connect(ctx.destination);
    }
    const ended = new Promise((resolve) => { oscillator.onended = resolve; });
    oscillator.start(now);
    oscillator.stop(now + seconds);
    // A suspended context never ends the oscillator; do not hang on it.
    await Promise.race([ended, new Promise((r) => setTimeout(r, (seconds + 1) * 1000))]);
    clearInterval(probe);
    gain.disconnect();
    if (element) {
      element.pause();
      element.srcObject = null;
    }
  }

  stopTracks() {
    for (const track of this.stream?.getTracks() ?? [])
      track.stop();
    this.stream = null;
  }

  /** Releases the devices and the audio context. */
  close() {
    this.stopMeter();
    this.stopTracks();
    this.audioContext?.close().catch(() => {});
    this.audioContext = null;
  }
}
