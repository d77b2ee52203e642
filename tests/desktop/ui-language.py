#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The console speaks the user's language: started with LANGUAGE=es, the main
# window's sign-in page, Preferences and the keyboard shortcuts window (Ctrl+?)
# show Spanish strings through the accessibility tree, and no English one is
# left where a translation exists; with LANGUAGE=fr the sign-in page is French
# (one run of each whole check is enough to show the catalogue is used, and a
# sanitizer build starts slowly). The catalogues are the ones
# the build made (HOUSECALL_LOCALEDIR). Keeps a screenshot of each sign-in
# page. Speaks TAP.
#
# usage: ui-language.py HOUSECALL LOCALEDIR OUTPUT-DIR

import os
import sys
import tempfile

CONSOLE_G_DEBUG = os.environ.pop('G_DEBUG', None)

from uitest import (Atspi, Tap, console_env, describe_app, find_in_app,  # noqa: E402
                    focus_window, names_in_app, quit_console, screenshot_window, start_console, stop,
                    mapped_windows, wait_for, wait_unmapped, window_gone, xdotool)

# What each language must show, and the English it replaces.
LANGUAGES = {
    'es': {
        'sign_in': 'Iniciar sesión',
        'labels': ['Servidor', 'Nombre de usuario', 'Contraseña',
                   'Inicie sesión con su cuenta profesional para ver quién está esperando.'],
        'preferences': 'Preferencias',
        'server_address': 'Dirección del servidor',
        'quit': 'Salir',
    },
    'fr': {
        'sign_in': 'Se connecter',
        'labels': ['Serveur', 'Nom d’utilisateur', 'Mot de passe',
                   'Connectez-vous avec votre compte soignant pour voir qui attend.'],
        'preferences': 'Préférences',
        'server_address': 'Adresse du serveur',
        'quit': 'Quitter',
    },
}
ENGLISH = ['Sign In', 'User Name', 'Password',
           'Sign in with your provider account to see who is waiting.']

CHECKS = [
    'LANGUAGE=es: the sign-in page is translated, no English left',
    'LANGUAGE=es: Preferences (Ctrl+comma) are translated',
    'LANGUAGE=es: the shortcuts window (Ctrl+?) is translated',
    'LANGUAGE=es: it quits with Ctrl+Q, exit status 0',
    'LANGUAGE=fr: the sign-in page is translated, no English left',
    'LANGUAGE=fr: it quits with Ctrl+Q, exit status 0',
]


def run(tap, console, localedir, lang, want, output, work):
    env = console_env(GSETTINGS_BACKEND='memory', LANGUAGE=lang, HOUSECALL_LOCALEDIR=localedir,
                      G_DEBUG=CONSOLE_G_DEBUG)
    process, log = start_console(console, env, os.path.join(work, lang + '.log'))
    try:
        button = wait_for(lambda: find_in_app(process, Atspi.Role.PUSH_BUTTON, want['sign_in']))
        names = names_in_app(process)
        missing = [l for l in want['labels'] if l not in names]
        english = [e for e in ENGLISH if e in names]
        log.seek(0)
        tap.report(button is not None and not missing and not english,
                   'missing %r, English left %r\n%s\n%s'
                   % (missing, english, log.read(), describe_app(process)))
        screenshot_window('Housecall', os.path.join(output, 'sign-in-%s.png' % lang))
        if lang != 'es':
            status = quit_console(process)
            log.seek(0)
            tap.report(status == 0, 'exit status %r\n%s' % (status, log.read()))
            return

        prefs = None
        for _ in range(3):
            focus_window('Housecall')
            xdotool('key', '--clearmodifiers', 'ctrl+comma')
            prefs = wait_for(lambda: find_in_app(process, Atspi.Role.FRAME, want['preferences']) or
                             find_in_app(process, Atspi.Role.DIALOG, want['preferences']), 10)
            if prefs is not None:
                break
        row = wait_for(lambda: find_in_app(process, None, want['server_address']), 10) \
            if prefs else None
        tap.report(row is not None, describe_app(process))
        if prefs is not None:
            focus_window(want['preferences'])
            xdotool('key', 'Escape')
            window_gone(want['preferences'])

        focus_window('Housecall')
        before = mapped_windows()
        xdotool('key', '--clearmodifiers', 'ctrl+question')
        quit_row = wait_for(lambda: find_in_app(process, None, want['quit']), 20)
        tap.report(quit_row is not None, describe_app(process))
        if quit_row is not None:
            shortcuts = mapped_windows() - before
            xdotool('key', 'Escape')
            wait_unmapped(shortcuts)

        status = quit_console(process)
        log.seek(0)
        tap.report(status == 0, 'exit status %r\n%s' % (status, log.read()))
    finally:
        stop(process)


def main():
    if len(sys.argv) != 4:
        print('Bail out! usage: ui-language.py HOUSECALL LOCALEDIR OUTPUT-DIR')
        return 1
    console, localedir, output = sys.argv[1:]
    os.makedirs(output, exist_ok=True)
    tap = Tap(CHECKS)
    with tempfile.TemporaryDirectory(prefix='hc-ui-language-') as work:
        for lang, want in LANGUAGES.items():
            run(tap, console, localedir, lang, want, output, work)
    return tap.exit_status()


if __name__ == '__main__':
    sys.exit(main())
