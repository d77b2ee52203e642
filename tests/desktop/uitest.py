# SPDX-License-Identifier: GPL-3.0-or-later
#
# What the console's UI tests share: TAP reporting, finding widgets in the
# accessibility tree by role and name, waiting with a bound, the keyboard
# through xdotool, and screenshots of one window. Import it after taking
# G_DEBUG out of the environment (it is meant for the console, and the AT-SPI
# client library warns while an application is still setting itself up).

import os
import re
import subprocess
import sys
import time

import gi

gi.require_version('Atspi', '2.0')
gi.require_version('GdkPixbuf', '2.0')
from gi.repository import Atspi, GdkPixbuf, GLib  # noqa: E402,F401

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'console'))
# After a window closes, wait for it to be unmapped before asking for the application's
# windows again: GTK 4.8 can crash otherwise (hcui.mapped_windows() says why).
from hcui import mapped_windows, wait_unmapped, window_gone  # noqa: E402,F401

TIMEOUT = 120.0  # seconds; sanitizer builds start slowly, more so on a busy machine


class Tap:
    def __init__(self, checks):
        self.checks = checks
        self.number = 0
        self.failures = 0
        print('1..%d' % len(checks))
        sys.stdout.flush()

    def report(self, passed, diagnostics=''):
        description = self.checks[self.number]
        self.number += 1
        if not passed:
            self.failures += 1
        print('%s %d - %s' % ('ok' if passed else 'not ok', self.number, description))
        if not passed:
            for line in str(diagnostics).splitlines():
                print('# ' + line)
        sys.stdout.flush()
        return passed

    def skip_rest(self, reason):
        while self.number < len(self.checks):
            self.report(False, reason)

    def exit_status(self):
        return 1 if self.failures or self.number != len(self.checks) else 0


def children(accessible):
    try:
        count = accessible.get_child_count()
    except GLib.Error:
        return
    for i in range(count):
        try:
            child = accessible.get_child_at_index(i)
        except GLib.Error:
            continue
        if child is not None:
            yield child


def matches(accessible, role, name, pattern):
    try:
        a_role = accessible.get_role()
        a_name = accessible.get_name()
    except GLib.Error:
        return False
    return (role is None or a_role == role) and (name is None or a_name == name) and \
        (pattern is None or re.search(pattern, a_name or '') is not None)


def showing(accessible):
    try:
        return accessible.get_state_set().contains(Atspi.StateType.SHOWING)
    except GLib.Error:
        return False


def find(accessible, role=None, name=None, pattern=None):
    for child in children(accessible):
        if matches(child, role, name, pattern):
            return child
        found = find(child, role, name, pattern)
        if found is not None:
            return found
    return None


def find_all(accessible, role=None, name=None, pattern=None):
    for child in children(accessible):
        if matches(child, role, name, pattern):
            yield child
        yield from find_all(child, role, name, pattern)


def describe_tree(accessible, depth=0):
    try:
        lines = ['%s%s %r' % ('  ' * depth, accessible.get_role_name(), accessible.get_name())]
    except GLib.Error:
        return []
    for child in children(accessible):
        lines.extend(describe_tree(child, depth + 1))
    return lines


def app_windows(process):
    desktop = Atspi.get_desktop(0)
    for app in children(desktop):
        try:
            if app.get_process_id() != process.pid:
                continue
        except GLib.Error:
            continue
        yield from children(app)


def names_in_app(process):
    """Every accessible name in the windows on screen, in one walk of the tree
    (each node is a D-Bus round trip)."""
    names = set()
    for window in app_windows(process):
        if showing(window):
            for node in find_all(window):
                try:
                    names.add(node.get_name())
                except GLib.Error:
                    pass
    return names


def describe_app(process):
    return '\n'.join(line for w in app_windows(process) for line in describe_tree(w))


def find_in_app(process, role=None, name=None, pattern=None):
    """Searches the windows on screen (GTK 4.8 marks only windows as showing,
    so a hidden stack page is still searched; a closed window is not)."""
    for window in app_windows(process):
        if not showing(window):
            continue
        if matches(window, role, name, pattern):
            return window
        found = find(window, role, name, pattern)
        if found is not None:
            return found
    return None


def wait_for(predicate, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    return None


def text_of(accessible):
    text = accessible.get_text_iface() if accessible is not None else None
    if text is None:
        return None
    return text.get_text(0, text.get_character_count())


def is_sensitive(accessible):
    # GTK 4.8 sets SENSITIVE (not ENABLED) on widgets that take input.
    return accessible.get_state_set().contains(Atspi.StateType.SENSITIVE)


def xdotool(*args):
    subprocess.run(['xdotool', *args], check=True, capture_output=True, timeout=30)


def window_ids(name, timeout=20):
    def search():
        result = subprocess.run(['xdotool', 'search', '--onlyvisible', '--name', '^%s$' % name],
                                capture_output=True, text=True, timeout=10)
        return result.stdout.split()
    return wait_for(search, timeout) or []


def focus_window(name, timeout=20):
    """Gives the window titled @name the keyboard focus; there is no window
    manager to do it."""
    ids = window_ids(name, timeout)
    if ids:
        subprocess.run(['xdotool', 'windowfocus', ids[-1]], capture_output=True, timeout=10)
        time.sleep(0.2)
    return bool(ids)


def screenshot_window(name, path):
    """Captures the window titled @name alone (not the root window, where
    notifications and the empty screen would show). Returns the pixbuf."""
    ids = window_ids(name)
    if not ids:
        return None
    # The accessibility tree changes before the screen repaints.
    time.sleep(0.5)
    subprocess.run(['import', '-window', ids[-1], path], check=True, timeout=30)
    return GdkPixbuf.Pixbuf.new_from_file(path)


def distinct_colours(pixbuf):
    pixels = pixbuf.get_pixels()
    stride, channels = pixbuf.get_rowstride(), pixbuf.get_n_channels()
    colours = set()
    for y in range(0, pixbuf.get_height(), 4):
        for x in range(0, pixbuf.get_width(), 4):
            offset = y * stride + x * channels
            colours.add(bytes(pixels[offset:offset + 3]))
    return len(colours)


def mean_luminance(pixbuf):
    """0 (black) to 255 (white), over a grid of pixels."""
    pixels = pixbuf.get_pixels()
    stride, channels = pixbuf.get_rowstride(), pixbuf.get_n_channels()
    total = count = 0
    for y in range(0, pixbuf.get_height(), 8):
        for x in range(0, pixbuf.get_width(), 8):
            r, g, b = pixels[y * stride + x * channels:y * stride + x * channels + 3]
            total += 0.2126 * r + 0.7152 * g + 0.0722 * b
            count += 1
    return total / count if count else 0


def start_console(binary, env, log_path):
    log = open(log_path, 'w+')
    process = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, log


def quit_console(process, window_name='Housecall', timeout=30):
    """Ctrl+Q as a person would; returns the exit status, or None."""
    focus_window(window_name)
    try:
        xdotool('key', '--clearmodifiers', 'ctrl+q')
    except subprocess.SubprocessError:
        pass
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def stop(process):
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def console_env(**extra):
    env = dict(os.environ)
    env.update({k: v for k, v in extra.items() if v is not None})
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
    return env
