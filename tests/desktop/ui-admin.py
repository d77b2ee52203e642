#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What docs/admin.md promises administrators, checked on the real console
# through the accessibility tree:
#
# - a vendor override (a *.gschema.override compiled into a private schema
#   directory) presets the server: a fresh console opens on the sign-in page
#   with that server filled in; an override with a value outside the schema's
#   choices is refused by glib-compile-schemas;
# - a dconf lock (a test-made database compiled with `dconf compile`, read
#   through a private profile named by DCONF_PROFILE, with GSETTINGS_BACKEND=
#   dconf) holds: `gsettings set` cannot change the key, the sign-in page's
#   server field and the Server Address row of Preferences are insensitive
#   and say why, while an unlocked row stays editable; typing into the
#   locked field through the accessibility interface changes nothing.
#
# The dconf service this starts writes the user database under
# XDG_CONFIG_HOME, which meson points into the build directory for this test
# (the session bus passes its own environment to the services it starts).
# Speaks TAP.
#
# usage: ui-admin.py HOUSECALL SCHEMA-XML OUTPUT-DIR

import os
import shutil
import subprocess
import sys
import tempfile

CONSOLE_G_DEBUG = os.environ.pop('G_DEBUG', None)

from uitest import (Atspi, Tap, console_env, describe_app, find, find_in_app,  # noqa: E402
                    focus_window, is_sensitive, quit_console, screenshot_window,
                    start_console, stop, text_of, wait_for, window_gone, xdotool)

VENDOR_SERVER = 'https://housecall.clinic.example'
LOCKED_SERVER = 'https://locked.clinic.example'

CHECKS = [
    'glib-compile-schemas --strict refuses an override outside the schema\'s choices',
    'the vendor override compiles into a private schema directory',
    'a fresh console opens on the sign-in page with the overridden server',
    'it quits with Ctrl+Q, exit status 0',
    'dconf compile makes the lockdown database',
    'gsettings says the locked key is not writable, the unlocked one is',
    'gsettings set cannot change the locked key',
    'the sign-in page shows the locked server, not editable',
    'Preferences show the Server Address row insensitive, set by the administrator',
    'an unlocked row of Preferences stays editable',
    'typing into the locked field through the accessibility interface changes nothing',
    'it quits with Ctrl+Q, exit status 0',
]


def fresh_private_dirs():
    """The XDG directories meson set for this test, emptied: nothing a
    previous run wrote may count."""
    dirs = {}
    for var in ('XDG_CONFIG_HOME', 'XDG_RUNTIME_DIR', 'XDG_CACHE_HOME'):
        path = os.environ.get(var, '')
        if '/ui-admin-home/' not in path:
            print('Bail out! %s must point into ui-admin-home/ (meson sets it), not %r'
                  % (var, path))
            sys.exit(1)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, mode=0o700)
        dirs[var] = path
    return dirs


def gsettings(env, *args):
    return subprocess.run(['gsettings', *args], env=env, capture_output=True, text=True,
                          timeout=30)


def sign_in_server_field(process):
    window = find_in_app(process, Atspi.Role.FRAME, 'Housecall')
    if window is None or find(window, Atspi.Role.PUSH_BUTTON, 'Sign In') is None:
        return None
    return find(window, Atspi.Role.TEXT)


def vendor_override(tap, console, schema_xml, work, output):
    schemas = os.path.join(work, 'schemas')
    os.makedirs(schemas)
    shutil.copy(schema_xml, schemas)

    bad = os.path.join(schemas, '40_bad.gschema.override')
    with open(bad, 'w') as f:
        f.write("[org.housecall.Console]\ncapture-profile='4k'\n")
    result = subprocess.run(['glib-compile-schemas', '--strict', '--dry-run', schemas],
                            capture_output=True, text=True, timeout=30)
    tap.report(result.returncode != 0 and 'capture-profile' in result.stderr,
               'status %d\n%s' % (result.returncode, result.stderr))
    os.unlink(bad)

    with open(os.path.join(schemas, '50_clinic.gschema.override'), 'w') as f:
        f.write("[org.housecall.Console]\nserver-url='%s'\ncapture-profile='480p'\n"
                % VENDOR_SERVER)
    result = subprocess.run(['glib-compile-schemas', '--strict', schemas],
                            capture_output=True, text=True, timeout=30)
    if not tap.report(result.returncode == 0, result.stderr):
        return

    env = console_env(GSETTINGS_SCHEMA_DIR=schemas, GSETTINGS_BACKEND='keyfile',
                      XDG_CONFIG_HOME=os.path.join(work, 'override-config'),
                      G_DEBUG=CONSOLE_G_DEBUG)
    process, log = start_console(console, env, os.path.join(work, 'override-console.log'))
    try:
        field = wait_for(lambda: sign_in_server_field(process))
        shown = text_of(field)
        log.seek(0)
        tap.report(shown == VENDOR_SERVER,
                   'server field shows %r\n%s\n%s' % (shown, log.read(), describe_app(process)))
        screenshot_window('Housecall', os.path.join(output, 'override-sign-in.png'))
        status = quit_console(process)
        log.seek(0)
        tap.report(status == 0, 'exit status %r\n%s' % (status, log.read()))
    finally:
        stop(process)


def dconf_lock(tap, console, schema_dir, work, output, dirs):
    db_dir = os.path.join(work, 'dconf')
    os.makedirs(os.path.join(db_dir, 'local.d', 'locks'))
    with open(os.path.join(db_dir, 'local.d', '00-housecall'), 'w') as f:
        f.write("[org/housecall/Console]\nserver-url='%s'\n" % LOCKED_SERVER)
    with open(os.path.join(db_dir, 'local.d', 'locks', 'housecall'), 'w') as f:
        f.write('/org/housecall/Console/server-url\n')
    db = os.path.join(db_dir, 'local')
    result = subprocess.run(['dconf', 'compile', db, os.path.join(db_dir, 'local.d')],
                            capture_output=True, text=True, timeout=30)
    if not tap.report(result.returncode == 0 and os.path.exists(db), result.stderr):
        tap.skip_rest('no lockdown database')
        return
    # As /etc/dconf/profile/user would say, but naming the test's own
    # database by path instead of /etc/dconf/db/local.
    profile = os.path.join(db_dir, 'profile')
    with open(profile, 'w') as f:
        f.write('user-db:user\nfile-db:%s\n' % db)
    env = console_env(GSETTINGS_SCHEMA_DIR=schema_dir, GSETTINGS_BACKEND='dconf',
                      DCONF_PROFILE=profile, G_DEBUG=CONSOLE_G_DEBUG, **dirs)

    locked = gsettings(env, 'writable', 'org.housecall.Console', 'server-url').stdout.strip()
    unlocked = gsettings(env, 'writable', 'org.housecall.Console',
                         'capture-profile').stdout.strip()
    tap.report(locked == 'false' and unlocked == 'true',
               'server-url writable: %r, capture-profile writable: %r' % (locked, unlocked))

    result = gsettings(env, 'set', 'org.housecall.Console', 'server-url',
                       "'https://elsewhere.example'")
    value = gsettings(env, 'get', 'org.housecall.Console', 'server-url').stdout.strip()
    tap.report(result.returncode != 0 and value == "'%s'" % LOCKED_SERVER,
               'set exit status %d (%s), value now %s'
               % (result.returncode, result.stderr.strip(), value))

    process, log = start_console(console, env, os.path.join(work, 'lock-console.log'))
    try:
        field = wait_for(lambda: sign_in_server_field(process))
        shown = text_of(field)
        log.seek(0)
        tap.report(field is not None and shown == LOCKED_SERVER and not is_sensitive(field),
                   'server field shows %r, sensitive %r\n%s\n%s'
                   % (shown, field is not None and is_sensitive(field), log.read(),
                      describe_app(process)))

        prefs = None
        for _ in range(3):
            focus_window('Housecall')
            xdotool('key', '--clearmodifiers', 'ctrl+comma')
            prefs = wait_for(lambda: find_in_app(process, Atspi.Role.FRAME, 'Preferences') or
                             find_in_app(process, Atspi.Role.DIALOG, 'Preferences'), 10)
            if prefs is not None:
                break
        # An AdwEntryRow is itself the text field on the accessibility bus.
        row = wait_for(lambda: find(prefs, Atspi.Role.TEXT, 'Server Address'), 20) \
            if prefs else None
        description = row.get_description() if row is not None else None
        tap.report(row is not None and not is_sensitive(row) and
                   description == 'Set by your administrator',
                   'row sensitive %r, description %r\n%s'
                   % (row is not None and is_sensitive(row), description,
                      describe_app(process)))
        screenshot_window('Preferences', os.path.join(output, 'locked-preferences.png'))

        switch = find(prefs, Atspi.Role.CHECK_BOX, pattern=r'^Start with Microphone Off') \
            if prefs else None
        tap.report(switch is not None and is_sensitive(switch),
                   'switch %r, states %r' % (switch and switch.get_role_name(),
                                             switch and switch.get_state_set().get_states()))

        changed = None
        if row is not None:
            editable = row.get_editable_text_iface()
            try:
                if editable is not None:
                    editable.set_text_contents('https://typed.example')
            except Exception:  # noqa: BLE001 - refusing is what a locked field should do
                pass
            changed = gsettings(env, 'get', 'org.housecall.Console', 'server-url').stdout.strip()
        tap.report(changed == "'%s'" % LOCKED_SERVER, 'value after typing: %r' % changed)

        if prefs is not None:
            focus_window('Preferences')
            xdotool('key', 'Escape')
            window_gone('Preferences')
        status = quit_console(process)
        log.seek(0)
        tap.report(status == 0, 'exit status %r\n%s' % (status, log.read()))
    finally:
        stop(process)


def main():
    if len(sys.argv) != 4:
        print('Bail out! usage: ui-admin.py HOUSECALL SCHEMA-XML OUTPUT-DIR')
        return 1
    console, schema_xml, output = sys.argv[1:]
    dirs = fresh_private_dirs()
    os.makedirs(output, exist_ok=True)
    tap = Tap(CHECKS)
    work = tempfile.mkdtemp(prefix='hc-ui-admin-')
    try:
        vendor_override(tap, console, schema_xml, work, output)
        if tap.number < 4:
            tap.skip_rest('the override part stopped early')
        # The installed-like schema directory the build compiled.
        schema_dir = os.environ['GSETTINGS_SCHEMA_DIR']
        if tap.number == 4:
            dconf_lock(tap, console, schema_dir, work, output, dirs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tap.exit_status()


if __name__ == '__main__':
    sys.exit(main())
