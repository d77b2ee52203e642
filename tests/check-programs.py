#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The two programs' command lines and their manual pages: --help and --version
# work without a display or a server, a bad option is refused with status 2
# (housecalld) or non-zero (housecall), every option --help lists is in the
# manual page, and the manual pages render without a groff warning. Speaks TAP.
#
# usage: check-programs.py VERSION HOUSECALLD HOUSECALLD.8 [HOUSECALL HOUSECALL.1]

import os
import re
import shutil
import subprocess
import sys

number = 0
failures = 0


def report(passed, description, diagnostics=''):
    global number, failures
    number += 1
    if not passed:
        failures += 1
    print('%s %d - %s' % ('ok' if passed else 'not ok', number, description))
    for line in ('' if passed else str(diagnostics)).splitlines():
        print('# ' + line)
    sys.stdout.flush()


def run(argv):
    env = dict(os.environ)
    # Neither needs a display, a session bus or a terminal for these.
    for var in ('DISPLAY', 'WAYLAND_DISPLAY', 'DBUS_SESSION_BUS_ADDRESS'):
        env.pop(var, None)
    env['LC_ALL'] = 'C.UTF-8'
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


def long_options(help_text):
    return sorted(set(re.findall(r'^\s+(?:-\w, )?(--[a-z][a-z-]*)', help_text, re.M)))


def check_program(name, binary, man_page, version, bad_status):
    result = run([binary, '--help'])
    report(result.returncode == 0 and 'Usage:' in result.stdout and name in result.stdout,
           '%s --help prints its usage and exits 0' % name,
           'status %d\n%s%s' % (result.returncode, result.stdout, result.stderr))
    options = long_options(result.stdout)

    result = run([binary, '--version'])
    report(result.returncode == 0 and result.stdout == '%s %s\n' % (name, version),
           '%s --version prints "%s %s"' % (name, name, version),
           'status %d, printed %r %r' % (result.returncode, result.stdout, result.stderr))

    result = run([binary, '--no-such-option'])
    passed = (result.returncode == bad_status if bad_status else result.returncode != 0) and \
        'no-such-option' in result.stderr
    report(passed, '%s refuses an unknown option, saying which' % name,
           'status %d, stderr %r' % (result.returncode, result.stderr))

    page = open(man_page).read()
    missing = [o for o in options if o.replace('-', r'\-') not in page]
    report(options and not missing,
           'every option of %s --help (%d) is in %s' % (name, len(options),
                                                       os.path.basename(man_page)),
           'missing: %s' % ', '.join(missing) if missing else 'no options found')

    groff = shutil.which('groff')
    if groff is None:
        global number
        number += 1
        print('ok %d - %s renders without warnings # SKIP groff is not installed'
              % (number, os.path.basename(man_page)))
        return
    result = subprocess.run([groff, '-man', '-ww', '-z', '-Tutf8', man_page],
                            capture_output=True, text=True, timeout=30)
    leftover = re.findall(r'@[A-Z_]+@', page)
    report(result.returncode == 0 and not result.stderr and not leftover,
           '%s renders without warnings, every @VARIABLE@ filled in'
           % os.path.basename(man_page), result.stderr + ' '.join(leftover))


def main():
    if len(sys.argv) not in (4, 6):
        print('Bail out! usage: check-programs.py VERSION HOUSECALLD HOUSECALLD.8 '
              '[HOUSECALL HOUSECALL.1]')
        return 1
    version = sys.argv[1]
    print('1..%d' % (5 * ((len(sys.argv) - 2) // 2)))
    check_program('housecalld', sys.argv[2], sys.argv[3], version, 2)
    if len(sys.argv) == 6:
        check_program('housecall', sys.argv[4], sys.argv[5], version, None)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
