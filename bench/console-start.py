#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Console start (issue 10, item 7): launch of the real `housecall` → its window shown
# and ready for input, over --runs 10; and its idle RSS/PSS 5 s later. "Ready" is what
# a person needs to start: the window is shown, with the sign-in page's Sign In button
# and a Password field that takes focus (AT-SPI, polled every 5 ms, which adds up to
# that much and walks the tree from a second process).
# Run through bench/console-start.sh (its own Xvfb and session bus). Asserts nothing.
#
# usage: console-start.py HOUSECALL [--runs N] [--idle S]

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version('Atspi', '2.0')
from gi.repository import Atspi, GLib  # noqa: E402


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


def find(accessible, role, name):
    for child in children(accessible):
        try:
            if child.get_role() == role and child.get_name() == name:
                return child
        except GLib.Error:
            continue
        found = find(child, role, name)
        if found is not None:
            return found
    return None


def ready_button(pid):
    desktop = Atspi.get_desktop(0)
    for app in children(desktop):
        try:
            if app.get_process_id() != pid:
                continue
        except GLib.Error:
            continue
        # Ready: the window is shown (GTK 4.8 sets "showing" on the toplevel once it is
        # mapped), the Sign In button is there (it stays insensitive until a password
        # is typed) and the Password field takes focus.
        for window in children(app):
            try:
                if window.get_role() != Atspi.Role.FRAME or \
                   not window.get_state_set().contains(Atspi.StateType.SHOWING):
                    continue
            except GLib.Error:
                continue
            password = find(window, Atspi.Role.TEXT, 'Password')
            if password is not None and find(window, Atspi.Role.PUSH_BUTTON, 'Sign In') is not None and \
               password.get_state_set().contains(Atspi.StateType.FOCUSABLE):
                return password
    return None


def memory(pid):
    rss = pss = 0
    with open('/proc/%d/status' % pid) as f:
        m = re.search(r'VmRSS:\s+(\d+) kB', f.read())
        rss = int(m.group(1)) if m else 0
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            m = re.search(r'^Pss:\s+(\d+) kB', f.read(), re.M)
            pss = int(m.group(1)) if m else 0
    except OSError:
        pass
    return rss / 1024, pss / 1024


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def loadavg():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('housecall')
    parser.add_argument('--runs', type=int, default=10)
    parser.add_argument('--idle', type=float, default=5.0)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix='hc-bench-start-')
    settings_dir = os.path.join(work, 'config', 'glib-2.0', 'settings')
    os.makedirs(settings_dir)
    with open(os.path.join(settings_dir, 'keyfile'), 'w') as keyfile:
        # As an administrator presets it; nothing listens there, and nothing is
        # asked of the server before the provider signs in.
        keyfile.write("[org/housecall/Console]\nserver-url='http://127.0.0.1:9'\nusername='doctor'\n")
    env = dict(os.environ)
    env['GSETTINGS_BACKEND'] = 'keyfile'
    env['XDG_CONFIG_HOME'] = os.path.join(work, 'config')
    env.pop('G_DEBUG', None)

    print('console start: %s, renderer %s, %d runs' %
          (args.housecall, env.get('GSK_RENDERER', '(GTK default)'), args.runs))
    times = []
    rss_all = []
    pss_all = []
    for run in range(1, args.runs + 1):
        load = loadavg()
        t0 = time.monotonic()
        process = subprocess.Popen([args.housecall], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        ready = None
        deadline = t0 + 30
        while time.monotonic() < deadline and process.poll() is None:
            if ready_button(process.pid) is not None:
                ready = time.monotonic() - t0
                break
            time.sleep(0.005)
        if ready is None:
            print('run %d: no usable window within 30 s (exit %s)' % (run, process.poll()))
        else:
            cpu_at_ready = cpu_seconds(process.pid)
            time.sleep(args.idle)
            rss, pss = memory(process.pid)
            times.append(ready)
            rss_all.append(rss)
            pss_all.append(pss)
            print('run %d: ready in %.0f ms (CPU %.2f s by then); idle after %.0f s: RSS %.1f MB, '
                  'PSS %.1f MB; load %s' % (run, ready * 1000, cpu_at_ready, args.idle, rss, pss, load))
        sys.stdout.flush()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if times:
        print('launch → ready: p50 %.0f ms, min %.0f ms, max %.0f ms (target ≤ 500 ms); '
              'idle RSS p50 %.1f MB, PSS p50 %.1f MB' %
              (statistics.median(times) * 1000, min(times) * 1000, max(times) * 1000,
               statistics.median(rss_all), statistics.median(pss_all)))


if __name__ == '__main__':
    main()
