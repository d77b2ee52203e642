#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The real console in a call, for bench/call-bench.mjs --console real: signs in to the
# housecalld at URL as a provider would (AT-SPI and the keyboard, as the UI tests do),
# checks a patient in over REST, clicks Admit (admitting starts the visit) with the
# 720p test pattern as its camera, and reports JSON lines on stdout:
#   {"event":"pid","pid":N}  {"event":"signed-in"}  {"event":"admitted","room":"RM…"}
#   {"event":"shot","path":…}  {"event":"exited","status":N}  {"event":"failed","message":…}
# Commands on stdin: "shot PATH" (a screenshot of the display), "log" (the console's
# output so far, as {"event":"log","text":…}), "quit" (Ctrl+Q).
# Runs under tests/console/run-under-xvfb.sh, inside the caller's network namespace.
#
# usage: console-call.py HOUSECALL HOUSECALLD URL DATA-DIR

import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'console'))

import hcui  # noqa: E402
from hcui import Atspi, find_in_app, focus_window, wait_for, xdotool  # noqa: E402


def say(**fields):
    print(json.dumps(fields))
    sys.stdout.flush()


def main():
    console, housecalld, url, data_dir = sys.argv[1:5]
    # The provider is added once per server; a later run finds it there.
    subprocess.run([housecalld, '--data-dir', data_dir, 'user', 'add', 'doctor'],
                   input=hcui.PASSWORD + '\n', text=True, check=False, capture_output=True,
                   timeout=30)
    work = tempfile.mkdtemp(prefix='hc-bench-console-')
    settings_dir = os.path.join(work, 'config', 'glib-2.0', 'settings')
    os.makedirs(settings_dir)
    with open(os.path.join(settings_dir, 'keyfile'), 'w') as keyfile:
        keyfile.write("[org/housecall/Console]\nserver-url='%s'\nusername='doctor'\n"
                      "capture-profile='test-pattern-720p'\n" % url)
    env = dict(os.environ)
    env['GSETTINGS_BACKEND'] = 'keyfile'
    env['XDG_CONFIG_HOME'] = os.path.join(work, 'config')
    env.pop('G_DEBUG', None)
    log = open(os.path.join(work, 'console.log'), 'w+')
    process = subprocess.Popen([console], env=env, stdout=log, stderr=subprocess.STDOUT)
    say(event='pid', pid=process.pid)
    try:
        if wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON, 'Sign In'), 60) is None:
            raise RuntimeError('no sign-in page')
        focus_window(process, 'Housecall')
        xdotool('type', '--delay', '20', hcui.PASSWORD)
        xdotool('key', 'Return')
        if wait_for(lambda: find_in_app(process, Atspi.Role.LABEL, 'Signed in as doctor'), 60) is None:
            raise RuntimeError('sign-in failed')
        say(event='signed-in')
        # A name of this run's own: a later run on the same server finds earlier
        # patients still listed as admitted.
        name = 'Patient %s' % os.urandom(3).hex()
        provider = hcui.check_in_patient(url, data_dir, name=name)
        if wait_for(lambda: find_in_app(process, Atspi.Role.LABEL, name), 30) is None:
            raise RuntimeError('the patient is not listed')
        admit = wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON, pattern=r'^Admit.*' + name)
                         or find_in_app(process, Atspi.Role.PUSH_BUTTON, pattern=r'^Admit'), 30)
        if admit is None:
            raise RuntimeError('no Admit button')
        admit.get_action_iface().do_action(0)

        def room():
            for e in hcui.api(url, 'GET', '/v1/WaitingRoom', auth=provider)['entries']:
                if e['name'] == name and e['status'] == 'admitted' and e.get('room_sid'):
                    return e['room_sid']
            return None
        sid = wait_for(room, 30)
        if sid is None:
            raise RuntimeError('admission did not happen')
        say(event='admitted', room=sid)
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == 'shot' and len(words) > 1:
                subprocess.run(['import', '-window', 'root', words[1]], check=False,
                               capture_output=True, timeout=30)
                say(event='shot', path=words[1])
            elif words[0] == 'log':
                log.seek(0)
                say(event='log', text=log.read()[-6000:])
            elif words[0] == 'quit':
                break
        focus_window(process, 'Housecall')
        xdotool('key', '--clearmodifiers', 'ctrl+q')
        try:
            say(event='exited', status=process.wait(timeout=30))
        except subprocess.TimeoutExpired:
            say(event='exited', status=None)
    except Exception as error:  # noqa: BLE001 — reported, the caller decides
        log.seek(0)
        say(event='failed', message=str(error), log=log.read()[-3000:])
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


if __name__ == '__main__':
    main()
