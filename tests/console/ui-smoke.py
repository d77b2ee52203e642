#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts the real console in the X server and session bus that run-under-xvfb.sh made,
# finds its window the way a screen reader does (AT-SPI), takes a screenshot and quits
# with Ctrl+Q as a person would. Speaks TAP.
#
# usage: ui-smoke.py HOUSECALL-BINARY SCREENSHOT.png

import os
import subprocess
import sys
import tempfile
import time

# G_DEBUG=fatal-warnings is meant for the console, not for this driver: the AT-SPI client
# library warns when it catches an application still setting itself up on the bus.
CONSOLE_G_DEBUG = os.environ.pop('G_DEBUG', None)

import gi  # noqa: E402

gi.require_version('Atspi', '2.0')
gi.require_version('GdkPixbuf', '2.0')
from gi.repository import Atspi, GdkPixbuf, GLib  # noqa: E402

START_TIMEOUT = 60.0  # seconds; sanitizer builds start slowly
EXIT_TIMEOUT = 30.0

CHECKS = [
    'the console starts and shows its main window',
    'the waiting room panel is there',
    'the waiting room says no patients are waiting',
    'the stage says no visit is in progress',
    'the participants panel is there',
    'the screenshot shows the window',
    'Ctrl+Q quits with exit status 0',
]

number = 0
failures = 0


def report(passed, description, diagnostics=''):
    global number, failures
    number += 1
    if not passed:
        failures += 1
    print('%s %d - %s' % ('ok' if passed else 'not ok', number, description))
    for line in diagnostics.splitlines():
        print('# ' + line)
    sys.stdout.flush()


def bail_out(reason):
    print('Bail out! ' + reason)
    sys.exit(1)


def children(accessible):
    for i in range(accessible.get_child_count()):
        child = accessible.get_child_at_index(i)
        if child is not None:
            yield child


def find(accessible, role, name):
    """Depth-first search for a descendant with this role and name."""
    for child in children(accessible):
        if child.get_role() == role and child.get_name() == name:
            return child
        found = find(child, role, name)
        if found is not None:
            return found
    return None


def describe_tree(accessible, depth=0):
    lines = ['%s%s %r' % ('  ' * depth, accessible.get_role_name(), accessible.get_name())]
    for child in children(accessible):
        lines.extend(describe_tree(child, depth + 1))
    return lines


def find_main_window(process):
    """Waits for the process to show a frame named Housecall on the accessibility bus."""
    deadline = time.monotonic() + START_TIMEOUT
    desktop = Atspi.get_desktop(0)
    while time.monotonic() < deadline and process.poll() is None:
        for app in children(desktop):
            try:
                if app.get_process_id() != process.pid:
                    continue
                for window in children(app):
                    if window.get_role() == Atspi.Role.FRAME and window.get_name() == 'Housecall':
                        return window
            except GLib.Error:
                # The application may still be setting itself up on the bus.
                continue
        time.sleep(0.1)
    return None


def distinct_colours(path):
    pixbuf = GdkPixbuf.Pixbuf.new_from_file(path)
    pixels = pixbuf.get_pixels()
    stride = pixbuf.get_rowstride()
    channels = pixbuf.get_n_channels()
    colours = set()
    for y in range(0, pixbuf.get_height(), 4):
        row = y * stride
        for x in range(0, pixbuf.get_width(), 4):
            offset = row + x * channels
            colours.add(bytes(pixels[offset:offset + 3]))
    return len(colours)


def main():
    if len(sys.argv) != 3:
        bail_out('usage: ui-smoke.py HOUSECALL-BINARY SCREENSHOT.png')
    binary, screenshot = sys.argv[1:]

    print('1..%d' % len(CHECKS))
    sys.stdout.flush()

    env = dict(os.environ)
    env.setdefault('GSETTINGS_BACKEND', 'memory')
    if CONSOLE_G_DEBUG is not None:
        env['G_DEBUG'] = CONSOLE_G_DEBUG

    log = tempfile.TemporaryFile(mode='w+')
    process = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        window = find_main_window(process)
        if window is None:
            log.seek(0)
            report(False, CHECKS[0], 'exit status %r\n%s' % (process.poll(), log.read()))
            bail_out('no main window')
        report(True, CHECKS[0])

        tree = '\n'.join(describe_tree(window))
        checks = [
            (Atspi.Role.PANEL, 'Waiting room'),
            (Atspi.Role.LABEL, 'No patients waiting'),
            (Atspi.Role.LABEL, 'No visit in progress'),
            (Atspi.Role.PANEL, 'Participants'),
        ]
        for description, (role, name) in zip(CHECKS[1:5], checks):
            found = find(window, role, name) is not None
            report(found, description, '' if found else tree)

        # The accessibility tree is ready before the screen repaints.
        time.sleep(0.5)
        subprocess.run(['import', '-window', 'root', screenshot], check=True)
        colours = distinct_colours(screenshot)
        report(colours >= 16, CHECKS[5], '%d distinct colours in %s' % (colours, screenshot))

        # There is no window manager: give the window the keyboard focus ourselves.
        window_ids = subprocess.run(['xdotool', 'search', '--sync', '--onlyvisible',
                                     '--pid', str(process.pid)],
                                    check=True, capture_output=True, text=True).stdout.split()
        subprocess.run(['xdotool', 'windowfocus', '--sync', window_ids[0]], check=True)
        subprocess.run(['xdotool', 'key', '--clearmodifiers', 'ctrl+q'], check=True)
        try:
            status = process.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            status = None
        log.seek(0)
        report(status == 0, CHECKS[6],
               'exit status %r' % status if status == 0 else
               'exit status %r\n%s' % (status, log.read()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
