#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The provider's whole flow with the keyboard alone: type the password and
# Enter; Ctrl+Return admits the patient who waited longest; Ctrl+D mutes and
# unmutes the microphone; Ctrl+Shift+E and Enter end the visit for everyone;
# Ctrl+Q quits. No pointer, no accessibility actions: AT-SPI only reads what
# the window shows. The patient is headless Chromium with a phone's viewport
# (390×844, touch), going through the patient web app. Runs inside a network
# namespace of its own (netns-run.sh) and an X server of its own. Speaks TAP.
#
# usage: ui-keyboard.py HOUSECALL HOUSECALLD

import os
import subprocess
import sys

CONSOLE_G_DEBUG = os.environ.pop('G_DEBUG', None)

import hcui  # noqa: E402
from hcui import Atspi, bail_out, find_in_app, focus_window, report, wait_for, xdotool  # noqa: E402

PATIENT = 'Rosa Phone'

CHECKS = [
    'the password typed and Enter sign in',
    'a patient on a phone waits in the queue',
    'Ctrl+Return admits them: the stage shows them large, and their phone decodes the console',
    'Ctrl+D mutes the microphone and Ctrl+D unmutes it',
    'Ctrl+Shift+E and Enter end the visit for everyone: the patient\'s page ends, Janus is empty',
    'Ctrl+Q quits with exit status 0',
]


def own_tile(process):
    tile = find_in_app(process, None, pattern='^Your camera: ')
    try:
        return tile.get_description() if tile is not None else None
    except Exception:  # noqa: BLE001 — rebuilt under us
        return None


def main():
    if len(sys.argv) != 3:
        bail_out('usage: ui-keyboard.py HOUSECALL HOUSECALLD')
    console, housecalld = sys.argv[1:]
    print('1..%d' % len(CHECKS))
    sys.stdout.flush()
    if os.geteuid() != 0 or 'HC_NETNS_ICE_INTERFACE' not in os.environ:
        bail_out('run me through tests/engine/netns-run.sh (a network namespace of my own)')

    visit = hcui.Visit(console, housecalld, 'hc-ui-keyboard-', CONSOLE_G_DEBUG)
    try:
        log = visit.start_server()
        if log:
            report(False, CHECKS[0], log)
            bail_out('no housecalld')
        process = visit.start_console()
        signed_in = visit.sign_in()
        if not report(signed_in is not None, CHECKS[0],
                      '' if signed_in else visit.console_output()):
            bail_out('not signed in')

        peer, waiting = visit.patient(PATIENT, phone=True)
        row = None
        if waiting.get('event') == 'waiting':
            row = wait_for(lambda: find_in_app(process, Atspi.Role.LABEL, PATIENT), 30)
        if not report(row is not None, CHECKS[1], 'peer: %r' % (waiting,)):
            bail_out('no patient waiting')

        focus_window(process, 'Housecall')
        xdotool('key', '--clearmodifiers', 'ctrl+Return')
        large = wait_for(lambda: find_in_app(process, None, 'Main speaker: ' + PATIENT), 90)
        frames = None
        if large is not None:
            def patient_decodes():
                snap = peer.snapshot() or {}
                doctor = [r['sid'] for r in snap.get('remotes', []) if r.get('identity') == 'doctor']
                inbound = (snap.get('stats') or {}).get('inbound') or {}
                count = (inbound.get(doctor[0]) or {}).get('framesDecoded', 0) if doctor else 0
                return count if count > 10 else None
            frames = wait_for(patient_decodes, 60)
        report(large is not None and bool(frames), CHECKS[2],
               'large tile %r, the phone decoded %r frames\n%s' %
               (large is not None, frames, '' if large else visit.console_output()))

        focus_window(process, 'Housecall')
        xdotool('key', '--clearmodifiers', 'ctrl+d')
        muted = wait_for(lambda: 'microphone off' in (own_tile(process) or ''), 10)
        xdotool('key', '--clearmodifiers', 'ctrl+d')
        def unmuted_now():
            state = own_tile(process)
            return state is not None and 'microphone off' not in state
        unmuted = wait_for(unmuted_now, 10)
        report(bool(muted) and bool(unmuted), CHECKS[3],
               'own tile after one press: %r, after two: %r' % (bool(muted), own_tile(process)))

        before = visit.janus_publishers()
        focus_window(process, 'Housecall')
        xdotool('key', '--clearmodifiers', 'ctrl+shift+e')
        dialog = hcui.new_window(process, 'End the Visit for Everyone?', 30)
        if dialog is not None:
            xdotool('key', 'Return')
            hcui.window_gone('End the Visit for Everyone?')

        def ended():
            view = peer.ask('view', 'view') or {}
            return view.get('view') == 'ended' and visit.janus_publishers() == 0 and view
        done = wait_for(ended, 40)
        report(bool(done), CHECKS[4],
               'dialog %r; publishers before %r, now %r; patient view %r' %
               (dialog is not None, before, visit.janus_publishers(), peer.ask('view', 'view')))

        focus_window(process, 'Housecall')
        xdotool('key', '--clearmodifiers', 'ctrl+q')
        try:
            status = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            status = None
        report(status == 0, CHECKS[5], 'exit status %r' % status)
    finally:
        hcui.failures += visit.close()
    return 1 if hcui.failures else 0


if __name__ == '__main__':
    sys.exit(main())
