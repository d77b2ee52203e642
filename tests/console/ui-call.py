#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A whole visit with the real console, driven through the accessibility tree as
# a provider would, against a real housecalld + Janus, with a real patient:
# headless Chromium going through the patient web app (visit link, check-in,
# preflight, waiting room). Runs inside a network namespace made by
# netns-run.sh (ICE ignores loopback) and an X server of its own.
#
#   sign in → the patient shows in the queue with their preflight verdict →
#   Admit → the stage shows the patient large and our preview small, and both
#   sides decode each other's video → the patient speaks and is the main
#   speaker → host control: the provider mutes the patient (and the patient
#   cannot unmute, nor use host controls on the provider) → the provider
#   unmutes their own microphone and speaks: the speaker changes (the large
#   tile stops being the speaker, our preview becomes it, the patient's page
#   sees us as dominant) → remove the patient → quit during the visit: the
#   console exits 0 and Janus has no publisher left.
#
# A screenshot of the window in the call is kept. Speaks TAP.
#
# usage: ui-call.py HOUSECALL HOUSECALLD OUTPUT-DIR

import os
import subprocess
import sys
import time

CONSOLE_G_DEBUG = os.environ.pop('G_DEBUG', None)

import hcui  # noqa: E402
from hcui import (Atspi, bail_out, find, find_in_app, focus_window, report,  # noqa: E402
                  screenshot, wait_for, xdotool)


PATIENT = 'Jane Doe'

CHECKS = [
    'housecalld with Janus starts in the namespace, and the console signs in',
    'the patient goes through the link, check-in and preflight to the waiting room, '
    'and the queue shows them with their preflight verdict',
    'Admit: the stage shows the patient large and the provider\'s preview small',
    'the console shows the patient\'s moving video and the patient decodes the console\'s',
    'the patient speaks: the large tile is the speaker',
    'host control: the provider mutes the patient, who cannot unmute themselves',
    'a patient cannot use host controls on the provider',
    'the provider speaks: the speaker changes from the large tile to the provider',
    'the screenshot of the call shows the window',
    'Add Interpreter refuses a malformed number to text the link to, makes a link for '
    'this visit with a QR code; the guest who opens it joins and shows as a thumbnail',
    'the invitation is listed as joined; revoking it removes the guest, and the link no longer works',
    'host control: the provider removes the patient, whose page ends the visit',
    'quitting during the visit leaves it: exit status 0, no publisher left in Janus',
]


TILES = {}


def tile_state(process, prefix):
    """(name, description) of the tile whose name starts with @prefix. The large
    tile and the preview live as long as the window: found once, then read
    directly (walking the whole tree each time is slow under a sanitizer)."""
    tile = TILES.get(prefix)
    if tile is None:
        tile = find_in_app(process, None, pattern='^' + prefix)
        if tile is None:
            return None, None
        TILES[prefix] = tile
    try:
        return tile.get_name(), tile.get_description()
    except Exception:  # noqa: BLE001 — gone under us
        TILES.pop(prefix, None)
        return None, None


def region_signature(path, extents):
    """Distinct colours and a coarse fingerprint of a screen region."""
    from gi.repository import GdkPixbuf
    pixbuf = GdkPixbuf.Pixbuf.new_from_file(path)
    x0, y0 = max(extents.x, 0), max(extents.y, 0)
    x1 = min(extents.x + extents.width, pixbuf.get_width())
    y1 = min(extents.y + extents.height, pixbuf.get_height())
    pixels = pixbuf.get_pixels()
    stride, channels = pixbuf.get_rowstride(), pixbuf.get_n_channels()
    colours = set()
    samples = []
    for y in range(y0, y1, 6):
        for x in range(x0, x1, 6):
            offset = y * stride + x * channels
            sample = bytes(pixels[offset:offset + 3])
            colours.add(sample)
            samples.append(sample)
    return len(colours), samples


def grab(path):
    """The main window alone, so AT-SPI's window coordinates apply (asking GTK
    for screen coordinates only gets a warning: X11 has no window manager here)."""
    ids = subprocess.run(['xdotool', 'search', '--onlyvisible', '--name', '^Housecall$'],
                         capture_output=True, text=True, timeout=10).stdout.split()
    subprocess.run(['import', '-window', ids[-1] if ids else 'root', path], check=True, timeout=30)


def main():
    if len(sys.argv) != 4:
        bail_out('usage: ui-call.py HOUSECALL HOUSECALLD OUTPUT-DIR')
    console, housecalld, output = sys.argv[1:]
    os.makedirs(output, exist_ok=True)
    print('1..%d' % len(CHECKS))
    sys.stdout.flush()
    if os.geteuid() != 0 or 'HC_NETNS_ICE_INTERFACE' not in os.environ:
        bail_out('run me through tests/engine/netns-run.sh (a network namespace of my own)')

    visit = hcui.Visit(console, housecalld, 'hc-ui-call-', CONSOLE_G_DEBUG)
    try:
        log = visit.start_server()
        if log:
            report(False, CHECKS[0], log)
            bail_out('no housecalld')
        # Joined muted, as a provider may choose in Preferences.
        process = visit.start_console('start-muted=true\n')
        console_output = visit.console_output
        tree = visit.tree
        signed_in = visit.sign_in()
        if not report(signed_in is not None, CHECKS[0], '' if signed_in else console_output()):
            bail_out('not signed in')

        # The patient: an appointment, its link, and Chromium clicking through.
        peer, waiting = visit.patient(PATIENT)
        row = None
        if waiting.get('event') == 'waiting':
            row = wait_for(lambda: find_in_app(process, Atspi.Role.LABEL,
                                               pattern=r'(Ready|Weak connection) \(connection \d of 5\)'),
                           30)
        if not report(row is not None, CHECKS[1],
                      'peer: %r' % (waiting,) if row is None else 'queue row: %s' % row.get_name()):
            bail_out('no patient waiting')

        admit = wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON,
                                             pattern='^Admit ' + PATIENT), 30)
        if admit is not None:
            hcui.press(admit)
        large = wait_for(lambda: find_in_app(process, None, 'Main speaker: ' + PATIENT), 90)
        preview = find_in_app(process, None, 'Your camera: You')
        report(large is not None and preview is not None, CHECKS[2],
               '' if large and preview else console_output() + '\n' + tree())

        # Both decode: the patient's page counts frames from the console, and the
        # console's large tile shows a picture that changes.
        console_sid = None

        def patient_decodes():
            nonlocal console_sid
            snap = peer.snapshot()
            if not snap or snap.get('state') != 'joined':
                return None
            for remote in snap.get('remotes', []):
                if remote.get('identity') == 'doctor':
                    console_sid = remote['sid']
            inbound = (snap.get('stats') or {}).get('inbound') or {}
            frames = (inbound.get(console_sid) or {}).get('framesDecoded', 0) if console_sid else 0
            return frames if frames > 10 else None
        frames = wait_for(patient_decodes, 60)
        moving = False
        colours = attempt = 0
        if large is not None:
            extents = large.get_extents(Atspi.CoordType.WINDOW)
            for attempt in range(45):
                first, second = os.path.join(visit.work, 'a.png'), os.path.join(visit.work, 'b.png')
                grab(first)
                time.sleep(1.0)
                grab(second)
                colours, samples_a = region_signature(first, extents)
                _, samples_b = region_signature(second, extents)
                changed = sum(1 for a, b in zip(samples_a, samples_b) if a != b)
                moving = colours >= 16 and changed > len(samples_a) // 100
                if moving:
                    break
        report(bool(frames) and moving, CHECKS[3],
               'patient decoded %r frames from %r; large tile %r: %d colours, moving %r after %d s'
               % (frames, console_sid, tile_state(process, 'Main speaker: '), colours, moving,
                  attempt + 1 if large is not None else 0))

        # The patient's steady tone makes them the room's dominant speaker.
        speaking = wait_for(lambda: 'speaking' in (tile_state(process, 'Main speaker: ')[1] or ''),
                            60)
        report(bool(speaking), CHECKS[4], 'large tile: %r' % (tile_state(process, 'Main speaker'),))

        mute = wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON, pattern='^Mute ' + PATIENT), 30)
        if mute is not None:
            hcui.press(mute)
        muted = wait_for(lambda: 'microphone off' in
                         (tile_state(process, 'Main speaker: ')[1] or ''), 40)
        unmute = peer.ask('request mute {"audio": false, "video": false}', 'reply')
        report(bool(muted) and unmute is not None and not unmute.get('ok') and
               unmute.get('error') == 'forbidden', CHECKS[5],
               'large tile: %r; the patient unmuting: %r' %
               (tile_state(process, 'Main speaker'), unmute))

        refused = None
        if console_sid:
            refused = peer.ask('request mute-participant {"participant": "%s", "mute": true}' %
                               console_sid, 'reply')
        report(refused is not None and not refused.get('ok') and refused.get('error') == 'forbidden',
               CHECKS[6], 'reply: %r' % (refused,))

        microphone = wait_for(lambda: find_in_app(process, None, 'Mute microphone'), 30)
        if microphone is not None:
            hcui.press(microphone)

        def provider_speaks():
            _, large_state = tile_state(process, 'Main speaker: ')
            _, own_state = tile_state(process, 'Your camera: ')
            snap = peer.snapshot() or {}
            return ('speaking' in (own_state or '') and 'speaking' not in (large_state or '') and
                    console_sid is not None and snap.get('dominant') == console_sid)
        changed = wait_for(provider_speaks, 60)
        snap = peer.snapshot() or {}
        report(bool(changed), CHECKS[7],
               'large: %r; preview: %r; the patient\'s page has dominant %r (console %r)' %
               (tile_state(process, 'Main speaker'), tile_state(process, 'Your camera'),
                snap.get('dominant'), console_sid))

        shot = os.path.join(output, 'call.png')
        colours_call = screenshot(shot)
        report(colours_call >= 32, CHECKS[8], 'distinct colours: %d, kept in %s' % (colours_call, shot))

        # An interpreter, by a link scoped to this visit.
        # The participants panel's button (Ctrl+I does the same; ui-keyboard covers keys).
        add = wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON,
                                           pattern='^Add interpreter'), 30)
        if add is not None:
            hcui.press(add)
        else:
            focus_window(process, 'Housecall')
            xdotool('key', '--clearmodifiers', 'ctrl+i')
        dialog = hcui.new_window(process, 'Add Interpreter', 60)
        link = qr = guest = joined = thumbnail = texted_refused = strip = None

        def guest_tile(strip):
            if strip is not None:
                return find(strip, None, 'Thumbnail: interpreter-es')
            return find_in_app(process, None, 'Thumbnail: interpreter-es')

        if dialog is not None:
            create = wait_for(lambda: find(dialog, Atspi.Role.PUSH_BUTTON, pattern='^_?Create Link'), 30)
            # A number to text the link to is checked as typed; left empty, no text goes.
            sms = find(dialog, Atspi.Role.TEXT, pattern='^Also Send by Text')
            if sms is not None:
                sms.get_editable_text_iface().set_text_contents('12ab')
                texted_refused = wait_for(lambda: find(dialog, Atspi.Role.ALERT, pattern=r'\w'), 10)
                sms.get_editable_text_iface().set_text_contents('')
                wait_for(lambda: create.get_state_set().contains(Atspi.StateType.SENSITIVE), 10)
            if create is not None:
                hcui.press(create)
            label = wait_for(lambda: find(dialog, Atspi.Role.LABEL, pattern=r'^http://.*/call\.html#room='),
                             60)
            link = label.get_name() if label is not None else None
            qr = find(dialog, Atspi.Role.IMAGE)
        if link is not None:
            guest = visit.guest(link, 'interpreter-es')
            joined = guest.next_event(['joined', 'failed'], 90)
            # Searched within the thumbnails strip: the whole tree is slow to walk
            # under the sanitizers.
            strip = find_in_app(process, None, 'Other participants')
            thumbnail = wait_for(lambda: guest_tile(strip), 120)
        report(link is not None and qr is not None and joined is not None and
               joined.get('event') == 'joined' and thumbnail is not None and
               texted_refused is not None, CHECKS[9],
               'dialog %r, a malformed number to text refused: %r, link %r, QR %r, guest %r, '
               'thumbnail %r' % (dialog is not None, texted_refused and texted_refused.get_name(),
                                 link, qr is not None, joined, thumbnail is not None))

        listed = revoked = refused = None
        if dialog is not None and thumbnail is not None:
            listed = wait_for(lambda: find(dialog, Atspi.Role.LABEL, pattern='^In the visit'), 60)
            # Pressed again if nothing happened (bounded): a press can be lost on a loaded
            # machine, and the test is about what a revocation does.
            for _ in range(3):
                revoke = wait_for(lambda: find(dialog, Atspi.Role.PUSH_BUTTON,
                                               pattern='^Revoke interpreter-es'), 20)
                if revoke is not None:
                    hcui.press(revoke)
                revoked = wait_for(lambda: guest_tile(strip) is None and
                                   (guest.ask('state', 'state') or {}).get('state') != 'joined',
                                   30)
                if revoked:
                    break
            again = visit.guest(link, 'interpreter-es')
            refused = again.next_event(['joined', 'failed'], 90)
        close = find(dialog, Atspi.Role.PUSH_BUTTON, 'Close') if dialog is not None else None
        if close is not None:
            hcui.press(close)
            hcui.window_gone('Add Interpreter')
        report(listed is not None and bool(revoked) and refused is not None and
               refused.get('event') == 'failed', CHECKS[10],
               'listed %r, guest gone %r, the link again: %r' % (listed is not None, revoked, refused))

        remove = wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON,
                                              pattern='^Remove ' + PATIENT), 30)
        confirmed = None
        if remove is not None:
            hcui.press(remove)
            # GTK 4.8 names a labelled button "label text" (some twice): the dialog's
            # response, not the row's "Remove Jane Doe".
            dialog = hcui.new_window(process, 'Remove %s?' % PATIENT, 30)
            # Its buttons may show in the tree a moment after the dialog itself. (Each
            # response has two buttons, one per layout; either answers.)
            confirmed = wait_for(lambda: find(dialog, Atspi.Role.PUSH_BUTTON,
                                              pattern=r'^_?Remove'), 30) if dialog else None
            if confirmed is not None:
                hcui.press(confirmed)
                hcui.window_gone('Remove %s?' % PATIENT)

        last_view = None

        def patient_gone():
            nonlocal last_view
            last_view = peer.ask('view', 'view')
            # The large tile shows no one, and the participants list is empty.
            alone = (find_in_app(process, None, 'Main speaker: ') is not None and
                     find_in_app(process, None, pattern='^(Mute|Unmute|Remove) ' + PATIENT) is None)
            return (alone and last_view is not None and
                    last_view.get('event') == 'view' and last_view.get('view') == 'ended')
        gone = wait_for(patient_gone, 60) if confirmed is not None else None
        report(bool(gone), CHECKS[11],
               'patient view %r; dialog %r; confirm button %r\n%s' %
               (last_view, dialog is not None if remove is not None else 'no Remove button',
                confirmed is not None, '' if gone else tree()))
        publishers_in_call = visit.janus_publishers()

        # Quit with the visit still open (the provider is in the room alone).
        focus_window(process, 'Housecall')
        xdotool('key', '--clearmodifiers', 'ctrl+q')
        try:
            status = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            status = None
        publishers_after = wait_for(lambda: visit.janus_publishers() == 0, 15)
        left = visit.janus_publishers()
        report(status == 0 and publishers_in_call is not None and publishers_in_call >= 1 and
               left == 0 and publishers_after, CHECKS[12],
               'exit status %r; Janus publishers in the call %r, after quitting %r\n%s' %
               (status, publishers_in_call, left, '' if status == 0 else console_output()))
    finally:
        hcui.failures += visit.close()
    return 1 if hcui.failures else 0


if __name__ == '__main__':
    sys.exit(main())
