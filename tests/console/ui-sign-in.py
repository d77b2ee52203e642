#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A provider's first minutes with the real console, driven through the
# accessibility tree and the keyboard as a person would: the console starts
# on the sign-in page (server and user preset as an administrator would), a
# wrong password is refused with a sentence, the right one signs in, a new
# visit room is opened with Ctrl+N and listed, Preferences open with
# Ctrl+comma, and Ctrl+Q quits. A real housecalld (with its Janus) serves it.
# Screenshots of the sign-in page and the main window are kept. Speaks TAP.
#
# usage: ui-sign-in.py HOUSECALL HOUSECALLD OUTPUT-DIR

import os
import shutil
import subprocess
import sys
import tempfile
import time

CONSOLE_G_DEBUG = os.environ.pop('G_DEBUG', None)

import hcui  # noqa: E402
from hcui import (Atspi, PASSWORD, api, app_windows, bail_out, check_in_patient,  # noqa: E402
                  describe_tree, find, find_in_app, focus_window, report, screenshot,
                  start_housecalld, wait_for, xdotool)

CHECKS = [
    'housecalld starts with a provider account',
    'the console opens on the sign-in page with the preset server and user',
    'a wrong password is refused with a clear sentence',
    'the right password signs in and the window says who is signed in',
    'a new visit room made with Ctrl+N is listed',
    'a patient who checks in shows in the waiting room with their readiness',
    'Preferences open with Ctrl+comma and show the server address',
    'Appointments open with Ctrl+Shift+A; an invalid mobile number is refused with a sentence',
    'a booked appointment is listed, and its failed invite text says why',
    'the screenshots show the windows',
    'their Admit button stays the same widget across queue polls, and it admits them',
    'Ctrl+Q quits with exit status 0',
]

def object_path(accessible):
    """The D-Bus object path of @accessible: a widget keeps its path for its
    whole life, a new widget gets a new one."""
    try:
        return accessible.path
    except Exception:  # noqa: BLE001 — a widget that is gone
        return None


def main():
    if len(sys.argv) != 4:
        bail_out('usage: ui-sign-in.py HOUSECALL HOUSECALLD OUTPUT-DIR')
    console, housecalld, output = sys.argv[1:]
    os.makedirs(output, exist_ok=True)
    print('1..%d' % len(CHECKS))
    sys.stdout.flush()

    work = tempfile.mkdtemp(prefix='hc-ui-sign-in-')
    server = None
    process = None
    try:
        data_dir = os.path.join(work, 'data')
        os.makedirs(data_dir)
        # Texts go to a gateway that is down, and housecalld gives up at once:
        # the console must show a failed text and why.
        token = os.path.join(data_dir, 'twilio-token')
        with open(token, 'w') as f:
            f.write('abcdefghijklmnopqrstuvwxyz012345\n')
        os.chmod(token, 0o600)
        server, port, log = start_housecalld(
            housecalld, data_dir,
            '[sms]\ngateway = twilio\nfrom = +14155550100\ntwilio-url = http://127.0.0.1:9\n'
            'twilio-account-sid = AC0123456789abcdef0123456789abcdef\n'
            'twilio-auth-token-file = %s\nmax-attempts = 1\n' % token)
        if not report(port is not None, CHECKS[0], log):
            bail_out('no housecalld')
        url = 'http://127.0.0.1:%d' % port

        # The settings an administrator (or the last sign-in) left: server and user.
        settings_dir = os.path.join(work, 'config', 'glib-2.0', 'settings')
        os.makedirs(settings_dir)
        with open(os.path.join(settings_dir, 'keyfile'), 'w') as keyfile:
            # Admitting starts the visit: a generated picture, as there is no camera.
            keyfile.write("[org/housecall/Console]\nserver-url='%s'\nusername='doctor'\n"
                          "capture-profile='test-pattern-360p'\n" % url)
        env = dict(os.environ)
        env['GSETTINGS_BACKEND'] = 'keyfile'
        env['XDG_CONFIG_HOME'] = os.path.join(work, 'config')
        if CONSOLE_G_DEBUG is not None:
            env['G_DEBUG'] = CONSOLE_G_DEBUG
        console_log = open(os.path.join(work, 'console.log'), 'w+')
        process = subprocess.Popen([console], env=env, stdout=console_log,
                                   stderr=subprocess.STDOUT)

        sign_in = wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON, 'Sign In'))
        window = wait_for(lambda: find_in_app(process, Atspi.Role.FRAME, 'Housecall'))
        server_text = find(window, Atspi.Role.TEXT) if window else None
        shown = None
        if server_text is not None:
            shown = server_text.get_text(0, server_text.get_character_count())
        shown_ok = sign_in is not None and shown == url
        if not report(shown_ok, CHECKS[1],
                      'server field shows %r' % shown +
                      ('' if window is None or shown_ok else
                       '\n' + '\n'.join(describe_tree(window)))):
            bail_out('no sign-in page')
        colours_sign_in = screenshot(os.path.join(output, 'sign-in.png'))

        # The password field has the focus: type as a person would.
        focus_window(process, 'Housecall')
        xdotool('type', '--delay', '20', 'not the password')
        xdotool('key', 'Return')
        # The message is an alert (so screen readers say it), whatever its widget.
        error = wait_for(lambda: find_in_app(process, None,
                                             'The user name or password is wrong.'), 20)
        console_log.seek(0)
        report(error is not None, CHECKS[2],
               '' if error else 'console exit status %r\n%s' % (process.poll(), console_log.read()))

        # After a failure the password field keeps the focus: replace its text.
        xdotool('key', 'ctrl+a')
        xdotool('type', '--delay', '20', PASSWORD)
        xdotool('key', 'Return')
        signed_in = wait_for(lambda: find_in_app(process, Atspi.Role.LABEL,
                                                 'Signed in as doctor'), 30)
        report(signed_in is not None, CHECKS[3],
               '' if signed_in else '\n'.join(describe_tree(window)))

        xdotool('key', 'ctrl+n')
        dialog = wait_for(lambda: find_in_app(process, Atspi.Role.LABEL, 'New Visit Room'), 10)
        if dialog is not None:
            time.sleep(0.3)
            xdotool('type', '--delay', '20', 'morning-clinic')
            xdotool('key', 'Return')
            hcui.window_gone('New Visit Room')
        listed = wait_for(lambda: find_in_app(process, Atspi.Role.LABEL, 'morning-clinic'), 20)
        report(listed is not None, CHECKS[4],
               '' if listed else '\n'.join(describe_tree(window)))
        provider = check_in_patient(url, os.path.join(work, 'data'))
        waiting = wait_for(lambda: find_in_app(process, Atspi.Role.LABEL, 'Jane Doe'), 20)
        # Checked in over REST only: the patient's page is not connected.
        # Readiness comes with the next poll (every 3 s).
        ready = wait_for(lambda: find_in_app(process, Atspi.Role.LABEL,
                                             pattern=r'Not connected right now'), 20)
        console_log.seek(0)
        report(waiting is not None and ready is not None, CHECKS[5],
               '' if waiting and ready else
               'console exit status %r\n%s\n%s' % (process.poll(), console_log.read(),
                                                    '\n'.join(describe_tree(window))))
        colours_main = screenshot(os.path.join(output, 'main-window.png'))


        # Under a loaded sanitizer build the window may take the focus late:
        # press again, as a person would, a bounded number of times.
        prefs = None
        for _ in range(3):
            focus_window(process, 'Housecall')
            xdotool('key', '--clearmodifiers', 'ctrl+comma')
            prefs = wait_for(lambda: hcui.app_window(process, 'Preferences'), 10)
            if prefs is not None:
                break
        row = wait_for(lambda: find(prefs, Atspi.Role.LABEL, 'Server Address'), 20) if prefs else None
        report(row is not None, CHECKS[6],
               '' if row else '\n'.join(line for w in app_windows(process)
                                        for line in describe_tree(w)))
        colours_prefs = screenshot(os.path.join(output, 'preferences.png'))
        if prefs is not None:
            # The modal Preferences window holds the keyboard until it closes.
            focus_window(process, 'Preferences')
            xdotool('key', 'Escape')
            hcui.window_gone('Preferences')

        focus_window(process, 'Housecall')
        xdotool('key', 'ctrl+shift+a')
        appointments = wait_for(lambda: hcui.app_window(process, 'Appointments'), 20)
        refused = None
        if appointments is not None:
            focus_window(process, 'Appointments')
            xdotool('key', 'ctrl+n')
            time.sleep(0.5)
            xdotool('type', '--delay', '20', 'John Roe')
            xdotool('key', 'Tab')
            time.sleep(0.2)
            xdotool('type', '--delay', '20', '12345')
            save = find(appointments, Atspi.Role.PUSH_BUTTON, pattern=r'Save and Send')
            if save is not None:
                hcui.press(save)
            refused = wait_for(lambda: find(appointments, None, pattern=r'[Nn]umber.*(valid|digits|short|country)|not a valid'), 10)
        report(refused is not None, CHECKS[7],
               '' if refused else '\n'.join(line for w in app_windows(process)
                                            for line in describe_tree(w)))

        listed_failed = None
        if appointments is not None:
            mobile = wait_for(lambda: find(appointments, Atspi.Role.TEXT, pattern=r'^12345$'), 5)
            # Replace the number by a real one; the form keeps the rest.
            focus_window(process, 'Appointments')
            if mobile is not None:
                mobile.get_editable_text_iface().set_text_contents('+1 415 555 0199')
            else:
                xdotool('key', 'ctrl+a')
                xdotool('type', '--delay', '20', '+1 415 555 0199')
            save = find(appointments, Atspi.Role.PUSH_BUTTON, pattern=r'Save and Send')
            if save is not None:
                hcui.press(save)
            listed_failed = wait_for(lambda: find(
                appointments, None, pattern=r'\+14155550199 · Invite failed: .+'), 30)
        report(listed_failed is not None, CHECKS[8],
               'row: %r' % (listed_failed.get_name() if listed_failed else None) if listed_failed
               else '\n'.join(line for w in app_windows(process) for line in describe_tree(w)))
        colours_appointments = screenshot(os.path.join(output, 'appointments.png'))
        report(min(colours_sign_in, colours_main, colours_prefs, colours_appointments) >= 16,
               CHECKS[9], 'distinct colours: %d, %d, %d, %d' % (colours_sign_in, colours_main,
                                                                colours_prefs, colours_appointments))
        # Admitted last: the visit it starts makes every question to the console slow
        # under the sanitizers' leak checking.
        admit = wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON, pattern=r'^Admit'),
                         30)
        first_path = object_path(admit) if admit is not None else None
        kept = admitted = False
        if admit is not None:
            # The queue is polled every 3 s: after two polls the button must be
            # the same widget (rebuilt rows lost the keyboard focus).
            time.sleep(7)
            again = find_in_app(process, Atspi.Role.PUSH_BUTTON, pattern=r'^Admit')
            kept = again is not None and first_path is not None and \
                object_path(again) == first_path
        if kept:
            hcui.press(admit)

            def is_admitted():
                entries = api(url, 'GET', '/v1/WaitingRoom', auth=provider)['entries']
                return any(e['name'] == 'Jane Doe' and e['status'] == 'admitted' for e in entries)
            admitted = wait_for(is_admitted, 20)
        report(bool(admitted), CHECKS[10],
               'Admit button %r (%s), the same after two polls %r, admitted %r'
               % (admit is not None, first_path, kept, bool(admitted)))

        # Quit from the Appointments window: the shortcut is the application's.
        if appointments is not None:
            focus_window(process, 'Appointments')
        else:
            focus_window(process, 'Housecall')
        xdotool('key', '--clearmodifiers', 'ctrl+q')
        try:
            status = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            status = None
        console_log.seek(0)
        report(status == 0, CHECKS[11],
               'exit status %r' % status if status == 0 else
               'exit status %r\n%s' % (status, console_log.read()))
    finally:
        for p in (process, server):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 1 if hcui.failures else 0


if __name__ == '__main__':
    sys.exit(main())
