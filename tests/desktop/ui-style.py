#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The console follows the system's style: started with the light and then
# the dark preference (libadwaita's ADW_DEBUG_COLOR_SCHEME stands in for the
# desktop's setting), its main window and its Preferences are light, then
# dark — nothing hard-codes light colours. Keeps screenshots of both. Also
# opens the About window and the keyboard shortcuts window (Ctrl+?) from the
# keyboard. Speaks TAP.
#
# usage: ui-style.py HOUSECALL OUTPUT-DIR

import os
import sys
import tempfile
import time

CONSOLE_G_DEBUG = os.environ.pop('G_DEBUG', None)

from uitest import (Atspi, Tap, console_env, describe_app, find_in_app,  # noqa: E402
                    focus_window, mean_luminance, quit_console, screenshot_window,
                    start_console, stop, wait_for, xdotool)

# Mean luminance 0–255: Adwaita's light window background is #fafafa, the
# dark one #242424.
LIGHT_ABOVE = 170
DARK_BELOW = 90

CHECKS = [
    'with the light preference the main window is light',
    'and Preferences are light',
    'with the dark preference the main window is dark',
    'and Preferences are dark',
    'Ctrl+? opens the keyboard shortcuts window, listing Quit',
    'the About window opens from the menu with the keyboard and names the application',
    'it quits with Ctrl+Q, exit status 0 (both runs)',
]


def open_preferences(process):
    for _ in range(3):
        focus_window('Housecall')
        xdotool('key', '--clearmodifiers', 'ctrl+comma')
        prefs = wait_for(lambda: find_in_app(process, Atspi.Role.FRAME, 'Preferences') or
                         find_in_app(process, Atspi.Role.DIALOG, 'Preferences'), 10)
        if prefs is not None:
            return prefs
    return None


def close_window(process, name):
    focus_window(name)
    xdotool('key', 'Escape')
    # The window, not the menu item of the same name.
    wait_for(lambda: find_in_app(process, Atspi.Role.FRAME, name) is None and
             find_in_app(process, Atspi.Role.DIALOG, name) is None, 20)


def run(tap, console, scheme, output, work, statuses):
    env = console_env(GSETTINGS_BACKEND='memory', ADW_DEBUG_COLOR_SCHEME=scheme,
                      G_DEBUG=CONSOLE_G_DEBUG)
    process, log = start_console(console, env, os.path.join(work, scheme + '.log'))
    light = scheme == 'prefer-light'
    suffix = '' if light else '-dark'
    try:
        window = wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON, 'Sign In'))
        shot = screenshot_window('Housecall', os.path.join(output, 'sign-in%s.png' % suffix)) \
            if window else None
        value = mean_luminance(shot) if shot else None
        log.seek(0)
        tap.report(value is not None and (value > LIGHT_ABOVE if light else value < DARK_BELOW),
                   'mean luminance %r\n%s' % (value, log.read()))

        prefs = open_preferences(process)
        shot = screenshot_window('Preferences',
                                 os.path.join(output, 'preferences%s.png' % suffix)) \
            if prefs else None
        value = mean_luminance(shot) if shot else None
        tap.report(value is not None and (value > LIGHT_ABOVE if light else value < DARK_BELOW),
                   'mean luminance %r' % value)
        if prefs is not None:
            close_window(process, 'Preferences')

        if not light:
            focus_window('Housecall')
            xdotool('key', '--clearmodifiers', 'ctrl+question')
            quit_row = wait_for(lambda: find_in_app(process, None, 'Quit'), 20)
            tap.report(quit_row is not None, describe_app(process))
            if quit_row is not None:
                screenshot_window('Shortcuts', os.path.join(output, 'shortcuts-dark.png'))
                xdotool('key', 'Escape')
                wait_for(lambda: find_in_app(process, None, 'Quit') is None, 10)

            # F10 opens the sign-in page's menu; the About item is the last.
            focus_window('Housecall')
            xdotool('key', 'F10')
            about_item = wait_for(lambda: find_in_app(process, None,
                                                      pattern=r'^_?About Housecall$'), 10)
            if about_item is not None:
                # Down through the menu until the item has the focus, as a
                # person would; bounded.
                for _ in range(8):
                    if about_item.get_state_set().contains(Atspi.StateType.FOCUSED):
                        break
                    xdotool('key', 'Down')
                    time.sleep(0.2)
                xdotool('key', 'Return')
            about = wait_for(lambda: find_in_app(process, None, pattern=r'^About'), 20)
            named = wait_for(lambda: find_in_app(process, Atspi.Role.LABEL, 'Housecall'), 5)
            tap.report(about is not None and named is not None,
                       'menu item %r\n%s' % (about_item, describe_app(process)))
            if about is not None:
                xdotool('key', 'Escape')
                wait_for(lambda: find_in_app(process, None, pattern=r'^About') is None, 10)

        statuses.append(quit_console(process))
    finally:
        stop(process)


def main():
    if len(sys.argv) != 3:
        print('Bail out! usage: ui-style.py HOUSECALL OUTPUT-DIR')
        return 1
    console, output = sys.argv[1:]
    os.makedirs(output, exist_ok=True)
    tap = Tap(CHECKS)
    statuses = []
    with tempfile.TemporaryDirectory(prefix='hc-ui-style-') as work:
        run(tap, console, 'prefer-light', output, work, statuses)
        run(tap, console, 'prefer-dark', output, work, statuses)
    tap.report(statuses == [0, 0], 'exit statuses %r' % statuses)
    return tap.exit_status()


if __name__ == '__main__':
    sys.exit(main())
