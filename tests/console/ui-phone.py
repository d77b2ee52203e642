#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# "Add Interpreter" by phone, driven through the console's accessibility tree
# against a real housecalld whose SIP trunk is a real SIP peer (sipp, as a UAS
# playing the interpreter line). The test listens where sipp tells the bridge to
# send its RTP and decodes the RFC 4733 telephone-events itself.
#
#   the provider opens a visit room → Ctrl+I → a malformed number and illegal
#   digits are refused in the dialog with a sentence → a real number with
#   digits "1w2#" → the timeline shows Initiated → Ringing → Answered → the far
#   end receives 1, 2, # in order with the half-second pause → the keypad sends
#   5 → Hang Up → Completed; a line answering 486 → Busy; a line that redirects
#   (a SIP response the bridge does not follow) → Failed with the reason; the
#   console and housecalld still run.
#
# Runs inside a network namespace of its own (netns-run.sh) and an X server of
# its own. Speaks TAP.
#
# usage: ui-phone.py HOUSECALL HOUSECALLD

import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

CONSOLE_G_DEBUG = os.environ.pop('G_DEBUG', None)

import hcui  # noqa: E402
from hcui import (Atspi, bail_out, find, find_in_app, focus_window, press, report,  # noqa: E402
                  wait_for, xdotool)

SIP_PORT = 15060
SCENARIOS = os.path.join(hcui.SOURCE_ROOT, 'tests', 'node', 'sip')
ROOM = 'phone-visit'

CHECKS = [
    'the provider signs in and opens a visit room from the list',
    'Ctrl+I opens Add Interpreter with Call by Phone offered',
    'a malformed number is refused in the dialog with a sentence',
    'digits with illegal characters are refused in the dialog with a sentence',
    'calling: the timeline shows Initiated, Ringing, then Answered',
    'the far end receives the digits 1, 2, # in order, with the half-second pause',
    'the keypad sends 5 during the call',
    'Hang Up ends the call: Completed',
    'a line answering 486 shows Busy',
    'a SIP response the bridge does not follow shows Failed with the reason, '
    'and the console and housecalld keep running',
]


class DtmfListener:
    """Counts RFC 4733 telephone-events sent to a UDP port: (digit, arrival
    time) once per event (its first end packet)."""

    KEYS = '0123456789*#ABCD'

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.events = []
        self.packets = 0
        self.seen = set()
        self.running = True
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while self.running:
            try:
                data = self.sock.recv(2048)
            except OSError:
                continue
            self.packets += 1
            if len(data) < 16 or (data[0] >> 6) != 2:
                continue
            payload_type = data[1] & 0x7f
            timestamp = struct.unpack('!I', data[4:8])[0]
            offset = 12 + 4 * (data[0] & 0x0f)
            event = data[offset:offset + 4]
            # A telephone-event payload: event, E|R|volume, duration.
            if payload_type < 96 or len(event) < 4 or event[0] >= len(self.KEYS):
                continue
            if event[1] & 0x80 and timestamp not in self.seen:
                self.seen.add(timestamp)
                self.events.append((self.KEYS[event[0]], time.monotonic()))

    def digits(self):
        return ''.join(d for d, _ in self.events)

    def close(self):
        self.running = False


def start_sipp(scenario, rtp_port, work):
    log = open(os.path.join(work, 'sipp-%s.log' % scenario), 'w')
    return subprocess.Popen(['sipp', '-sf', os.path.join(SCENARIOS, scenario),
                             '-i', '127.0.0.1', '-mi', '127.0.0.1', '-p', str(SIP_PORT),
                             '-nostdin', '-m', '1', '-timeout', '60s', '-timeout_error',
                             '-key', 'rtp_port', str(rtp_port)],
                            stdout=log, stderr=subprocess.STDOUT, cwd=work)


STATUS_WORDS = r'^(Initiated|Ringing|Answered|Completed|Busy|No answer|Failed|Canceled) '


def timeline(dialog):
    """The call's status timeline as the dialog shows it ("Initiated 09:01:02 → …")."""
    label = find(dialog, Atspi.Role.LABEL, pattern=STATUS_WORDS) if dialog else None
    try:
        return label.get_name() if label is not None else ''
    except Exception:  # noqa: BLE001
        return ''


def main():
    if len(sys.argv) != 3:
        bail_out('usage: ui-phone.py HOUSECALL HOUSECALLD')
    console, housecalld = sys.argv[1:]
    print('1..%d' % len(CHECKS))
    sys.stdout.flush()
    if os.geteuid() != 0 or 'HC_NETNS_ICE_INTERFACE' not in os.environ:
        bail_out('run me through tests/engine/netns-run.sh (a network namespace of my own)')

    visit = hcui.Visit(console, housecalld, 'hc-ui-phone-', CONSOLE_G_DEBUG)
    listener = DtmfListener()
    sipp = None
    try:
        log = visit.start_server('[sip]\ntrunk = sip:127.0.0.1:%d\ncaller-id = +14155550100\n'
                                 'ring-timeout-seconds = 10\nrtp-port-range = 42000-42998\n'
                                 % SIP_PORT)
        if log:
            report(False, CHECKS[0], log)
            bail_out('no housecalld')
        process = visit.start_console("interpreter-lines=[('Spanish', '+14155550142', '1w2#')]\n")
        signed_in = visit.sign_in()
        room = None
        if signed_in is not None:
            # A visit room of the provider's own, made as ui-sign-in does (Ctrl+N).
            focus_window(process, 'Housecall')
            xdotool('key', '--clearmodifiers', 'ctrl+n')
            if hcui.new_window(process, 'New Visit Room', 20):
                xdotool('type', '--delay', '20', ROOM)
                xdotool('key', 'Return')
                hcui.window_gone('New Visit Room')
            join = wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON,
                                                pattern='^Join %s' % ROOM), 30)
            press(join)
            room = wait_for(lambda: visit.janus_publishers() == 1, 60)
        if not report(bool(room), CHECKS[0], visit.console_output() + '\n' + visit.tree()
                      if not room else ''):
            bail_out('not in a visit')

        # Under a loaded sanitizer build the window may take the focus late: pressed
        # again, as a person would, a bounded number of times.
        dialog = None
        for _ in range(3):
            focus_window(process, 'Housecall')
            xdotool('key', '--clearmodifiers', 'ctrl+i')
            dialog = hcui.new_window(process, 'Add Interpreter', 15)
            if dialog is not None:
                break
        # GTK 4.8 names a button after its label twice, mnemonic and all: "C_all Call".
        call = wait_for(lambda: find(dialog, Atspi.Role.PUSH_BUTTON, pattern=r'^C_?all\b'),
                        30) if dialog else None
        number = find(dialog, Atspi.Role.TEXT, 'Phone Number') if dialog else None
        digits = find(dialog, Atspi.Role.TEXT, pattern='^Digits After Answer') if dialog else None
        if not report(call is not None and number is not None and digits is not None, CHECKS[1],
                      '' if call else '\n'.join(hcui.describe_tree(dialog)) if dialog else
                      'no dialog; the console %s; its windows: %r\n%s'
                      % ('is running' if process.poll() is None
                         else 'exited with %r' % process.poll(),
                         hcui.window_names(process),
                         visit.console_output())):
            bail_out('no phone page')

        number.get_editable_text_iface().set_text_contents('12ab')
        # The sentence under the fields is an alert, so a screen reader says it.
        refused = wait_for(lambda: find(dialog, Atspi.Role.ALERT, pattern=r'\w'), 10)
        report(refused is not None and not call.get_state_set().contains(Atspi.StateType.SENSITIVE),
               CHECKS[2], 'message: %r' % (refused.get_name() if refused else None))

        number.get_editable_text_iface().set_text_contents('+1 415 555 0142')
        digits.get_editable_text_iface().set_text_contents('12x')
        bad_digits = wait_for(lambda: find(dialog, Atspi.Role.ALERT, pattern=r'^Digits may only be'),
                              10)
        report(bad_digits is not None, CHECKS[3],
               'message: %r' % (bad_digits.get_name() if bad_digits else None))

        digits.get_editable_text_iface().set_text_contents('1w2#')
        sipp = start_sipp('answer.xml', listener.port, visit.work)
        time.sleep(0.5)
        wait_for(lambda: call.get_state_set().contains(Atspi.StateType.SENSITIVE), 10)
        press(call)
        answered = wait_for(lambda: 'Answered' in timeline(dialog), 40)
        shown = timeline(dialog)
        order = [shown.find(w) for w in ('Initiated', 'Ringing', 'Answered')]
        report(bool(answered) and -1 not in order and order == sorted(order), CHECKS[4],
               'timeline: %r' % shown)

        wait_for(lambda: len(listener.events) >= 3, 15)
        events = list(listener.events)
        gap = events[1][1] - events[0][1] if len(events) >= 2 else 0
        report(listener.digits()[:3] == '12#' and gap >= 0.45, CHECKS[5],
               'digits %r, gap between 1 and 2: %.2f s, RTP packets %d' %
               (listener.digits(), gap, listener.packets))

        press(find(dialog, Atspi.Role.PUSH_BUTTON, pattern='^Send 5'))
        five = wait_for(lambda: '5' in listener.digits()[3:], 15)
        report(bool(five), CHECKS[6], 'digits %r' % listener.digits())

        press(find(dialog, Atspi.Role.PUSH_BUTTON, pattern='^_?Hang Up'))
        completed = wait_for(lambda: 'Completed' in timeline(dialog), 30)
        try:
            sipp_status = sipp.wait(timeout=30)
        except subprocess.TimeoutExpired:
            sipp_status = None
        report(bool(completed) and sipp_status == 0, CHECKS[7],
               'timeline %r, sipp exit %r' % (timeline(dialog), sipp_status))

        sipp = start_sipp('busy.xml', listener.port, visit.work)
        time.sleep(0.5)
        wait_for(lambda: call.get_state_set().contains(Atspi.StateType.SENSITIVE), 10)
        press(call)
        busy = wait_for(lambda: 'Busy' in timeline(dialog), 30)
        report(bool(busy), CHECKS[8], 'timeline %r' % timeline(dialog))
        sipp.wait(timeout=30)

        sipp = start_sipp('redirect.xml', listener.port, visit.work)
        time.sleep(0.5)
        wait_for(lambda: call.get_state_set().contains(Atspi.StateType.SENSITIVE), 10)
        press(call)
        failed = wait_for(lambda: re.search(r'Failed [\d:]+ \(.+\)', timeline(dialog)), 30)
        report(bool(failed) and process.poll() is None and visit.server.poll() is None, CHECKS[9],
               'timeline %r; console %r, housecalld %r' %
               (timeline(dialog), process.poll(), visit.server.poll()))
    finally:
        listener.close()
        if sipp is not None and sipp.poll() is None:
            sipp.kill()
            sipp.wait()
        hcui.failures += visit.close()
    return 1 if hcui.failures else 0


if __name__ == '__main__':
    sys.exit(main())
