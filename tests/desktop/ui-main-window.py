#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The main window as AppStream shows it, in the style the system asks for: a
# real housecalld, the console signs in from the keyboard, a patient checks in
# (over REST, as the patient app does) and shows in the waiting room with
# their readiness; the window alone is captured once the check-in
# notification has gone, with the light and then the dark preference
# (libadwaita's ADW_DEBUG_COLOR_SCHEME stands in for the desktop's setting):
# light, then dark, Preferences too — nothing hard-codes light colours. The
# About window opens from the main menu with the keyboard.
# tests/desktop/update-screenshots.sh copies the pictures to
# data/screenshots/. Speaks TAP.
#
# usage: ui-main-window.py HOUSECALL HOUSECALLD OUTPUT-DIR

import os
import shutil
import subprocess
import sys
import tempfile
import time

CONSOLE_G_DEBUG = os.environ.pop('G_DEBUG', None)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'console'))
import hcui  # noqa: E402
from uitest import (Atspi, Tap, console_env, describe_app, distinct_colours,  # noqa: E402
                    find_in_app, focus_window, mean_luminance, quit_console,
                    mapped_windows, screenshot_window, start_console, stop, wait_for,
                    wait_unmapped, window_gone, xdotool)

# Mean luminance 0–255: Adwaita's light window background is #fafafa, the
# dark one #242424.
LIGHT_ABOVE = 170
DARK_BELOW = 90

CHECKS = [
    'housecalld starts with a provider account',
    'the console signs in from the keyboard',
    'a patient who checks in is listed with their readiness',
    'the main window is captured alone, light, without the notification over it',
    'with the dark preference the same window is dark',
    'and so are Preferences (Ctrl+comma)',
    'the About window opens from the main menu (F10) and names the application',
    'it quits with Ctrl+Q, exit status 0 (both runs)',
]


def notification_popups():
    """X windows of the notification daemon that are on screen."""
    result = subprocess.run(['xdotool', 'search', '--onlyvisible', '--classname',
                             'notification-daemon'], capture_output=True, text=True, timeout=10)
    return result.stdout.split()


def check_preferences_dark(tap, process, output):
    prefs = None
    for _ in range(3):
        focus_window('Housecall')
        xdotool('key', '--clearmodifiers', 'ctrl+comma')
        prefs = wait_for(lambda: find_in_app(process, Atspi.Role.FRAME, 'Preferences') or
                         find_in_app(process, Atspi.Role.DIALOG, 'Preferences'), 20)
        if prefs is not None:
            break
    shot = screenshot_window('Preferences', os.path.join(output, 'preferences-dark.png')) \
        if prefs else None
    value = mean_luminance(shot) if shot else None
    tap.report(value is not None and value < DARK_BELOW, 'mean luminance %r' % value)
    if prefs is not None:
        focus_window('Preferences')
        xdotool('key', 'Escape')
        window_gone('Preferences')


def check_about(tap, process):
    # F10 opens the main menu; Down through it until About has the focus, as
    # a person would (bounded), then Return.
    focus_window('Housecall')
    before = mapped_windows()
    xdotool('key', 'F10')
    item = wait_for(lambda: find_in_app(process, None, pattern=r'^_?About Housecall$'), 20)
    if item is not None:
        for _ in range(10):
            if item.get_state_set().contains(Atspi.StateType.FOCUSED):
                break
            xdotool('key', 'Down')
            time.sleep(0.2)
        xdotool('key', 'Return')
    about = wait_for(lambda: find_in_app(process, None, pattern=r'^About'), 30)
    named = wait_for(lambda: find_in_app(process, Atspi.Role.LABEL, 'Housecall'), 10)
    tap.report(about is not None and named is not None,
               'menu item %r\n%s' % (item, describe_app(process)))
    if about is not None:
        about_window = mapped_windows() - before
        xdotool('key', 'Escape')
        wait_unmapped(about_window)


def run(tap, console, url, data_dir, work, output, dark, statuses, quit_logs):
    settings_dir = os.path.join(work, 'config-%s' % ('dark' if dark else 'light'),
                                'glib-2.0', 'settings')
    os.makedirs(settings_dir)
    with open(os.path.join(settings_dir, 'keyfile'), 'w') as keyfile:
        keyfile.write("[org/housecall/Console]\nserver-url='%s'\nusername='doctor'\n" % url)
    env = console_env(GSETTINGS_BACKEND='keyfile',
                      XDG_CONFIG_HOME=os.path.dirname(os.path.dirname(settings_dir)),
                      ADW_DEBUG_COLOR_SCHEME='prefer-dark' if dark else 'prefer-light',
                      G_DEBUG=CONSOLE_G_DEBUG)
    process, log = start_console(console, env, os.path.join(work, 'console-%s.log' % dark))
    try:
        wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON, 'Sign In'))
        # The password field has the focus: type as a person would.
        focus_window('Housecall')
        xdotool('type', '--delay', '20', hcui.PASSWORD)
        xdotool('key', 'Return')
        signed_in = wait_for(lambda: find_in_app(process, Atspi.Role.LABEL,
                                                 'Signed in as doctor'), 30)
        if not dark:
            log.seek(0)
            tap.report(signed_in is not None, '%s\n%s' % (log.read(), describe_app(process)))
            hcui.check_in_patient(url, data_dir, name='Maria Lopez',
                                  preflight={'verdict': 4, 'camera': True, 'microphone': True})
        waiting = wait_for(lambda: find_in_app(process, Atspi.Role.LABEL, 'Maria Lopez'), 20)
        if not dark:
            tap.report(waiting is not None, describe_app(process))
        # The desktop shows "A patient checked in" over the window for a few
        # seconds; the picture is of the window, so wait it out (bounded).
        time.sleep(1)
        wait_for(lambda: not notification_popups(), 30)
        name = 'main-window%s.png' % ('-dark' if dark else '')
        shot = screenshot_window('Housecall', os.path.join(output, name))
        value = mean_luminance(shot) if shot else None
        if dark:
            tap.report(value is not None and value < DARK_BELOW, 'mean luminance %r' % value)
        else:
            colours = distinct_colours(shot) if shot else 0
            tap.report(shot is not None and colours >= 16 and value > LIGHT_ABOVE and
                       not notification_popups(),
                       'distinct colours %d, luminance %r, popups %r'
                       % (colours, value, notification_popups()))
        if dark:
            check_preferences_dark(tap, process, output)
            check_about(tap, process)
        status = quit_console(process)
        log.seek(0)
        statuses.append(status)
        if status != 0:
            quit_logs.append(log.read()[-6000:])
    finally:
        stop(process)


def main():
    if len(sys.argv) != 4:
        print('Bail out! usage: ui-main-window.py HOUSECALL HOUSECALLD OUTPUT-DIR')
        return 1
    console, housecalld, output = sys.argv[1:]
    os.makedirs(output, exist_ok=True)
    tap = Tap(CHECKS)
    work = tempfile.mkdtemp(prefix='hc-ui-main-window-')
    server = None
    statuses = []
    quit_logs = []
    try:
        data_dir = os.path.join(work, 'data')
        server, port, log = hcui.start_housecalld(housecalld, data_dir)
        if not tap.report(port is not None, log):
            tap.skip_rest('no housecalld')
            return tap.exit_status()
        url = 'http://127.0.0.1:%d' % port
        run(tap, console, url, data_dir, work, output, False, statuses, quit_logs)
        run(tap, console, url, data_dir, work, output, True, statuses, quit_logs)
        tap.report(statuses == [0, 0], 'exit statuses %r\n%s' % (statuses, '\n'.join(quit_logs)))
    finally:
        stop(server)
        shutil.rmtree(work, ignore_errors=True)
    return tap.exit_status()


if __name__ == '__main__':
    sys.exit(main())
