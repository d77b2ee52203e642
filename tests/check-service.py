#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# housecalld.service: systemd itself accepts the unit (systemd-analyze verify,
# with the unit's ExecStart pointed at the housecalld just built and its
# Documentation= man page found), the sandbox directives the project relies
# on are there, and systemd's own exposure rating stays low. Speaks TAP.
#
# usage: check-service.py HOUSECALLD.SERVICE HOUSECALLD HOUSECALLD.8

import os
import re
import shutil
import subprocess
import sys
import tempfile

# What docs/admin.md and the man page promise about the service.
REQUIRED = {
    'NoNewPrivileges': 'yes',
    'ProtectSystem': 'strict',
    'ProtectHome': 'yes',
    'PrivateTmp': 'yes',
    'PrivateDevices': 'yes',
    'StateDirectory': 'housecalld',
    'CapabilityBoundingSet': '',
    'RestrictAddressFamilies': 'AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    'SystemCallArchitectures': 'native',
    'UMask': '0077',
}
# systemd-analyze security rates 0 (locked down) to 10 (exposed); "OK" is
# below 5. Well below: the service faces the internet.
MAX_EXPOSURE = 2.0

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


def skip(description, reason):
    global number
    number += 1
    print('ok %d - %s # SKIP %s' % (number, description, reason))


def main():
    unit, housecalld, man_page = sys.argv[1:4]
    print('1..4')
    text = open(unit).read()
    directives = {}
    for line in text.splitlines():
        match = re.match(r'^([A-Za-z]+)=(.*)$', line)
        if match:
            directives.setdefault(match.group(1), []).append(match.group(2))

    wrong = ['%s=%s (has %s)' % (k, v, directives.get(k)) for k, v in REQUIRED.items()
             if v not in directives.get(k, [])]
    user = directives.get('User', []) + directives.get('DynamicUser', [])
    if not user or user == ['root']:
        wrong.append('the service must run as its own user, not root')
    report(not wrong, 'the unit has the hardening the docs promise', '\n'.join(wrong))

    exec_start = directives.get('ExecStart', [''])[0].split()
    report(len(exec_start) > 0 and exec_start[0].endswith('/housecalld') and
           '--config' in exec_start and '--data-dir' in exec_start,
           'ExecStart runs housecalld with its config and data directory',
           'ExecStart=%s' % ' '.join(exec_start))

    analyze = shutil.which('systemd-analyze')
    if analyze is None:
        skip('systemd-analyze verify accepts the unit', 'systemd-analyze is not installed')
        skip('systemd-analyze security rates it at most %.1f' % MAX_EXPOSURE,
             'systemd-analyze is not installed')
        return 1 if failures else 0

    with tempfile.TemporaryDirectory(prefix='hc-service-') as work:
        # The installed unit names the installed binary; check the built one.
        copy = os.path.join(work, 'housecalld.service')
        with open(copy, 'w') as f:
            f.write(re.sub(r'^ExecStart=\S+', 'ExecStart=' + os.path.abspath(housecalld),
                           text, flags=re.M))
        # verify runs `man housecalld(8)` for Documentation=.
        os.makedirs(os.path.join(work, 'man', 'man8'))
        shutil.copy(man_page, os.path.join(work, 'man', 'man8', 'housecalld.8'))
        env = dict(os.environ, MANPATH=os.path.join(work, 'man'), SYSTEMD_LOG_COLOR='0',
                   SYSTEMD_PAGER='', LC_ALL='C.UTF-8')
        result = subprocess.run([analyze, 'verify', copy], env=env, capture_output=True,
                                text=True, timeout=60)
        report(result.returncode == 0 and not result.stderr.strip(),
               'systemd-analyze verify accepts the unit',
               'status %d\n%s%s' % (result.returncode, result.stdout, result.stderr))

        result = subprocess.run([analyze, 'security', '--offline=true', '--no-pager', copy],
                                env=env, capture_output=True, text=True, timeout=60)
        match = re.search(r'Overall exposure level for \S+: (\d+\.\d+)', result.stdout)
        exposure = float(match.group(1)) if match else None
        report(exposure is not None and exposure <= MAX_EXPOSURE,
               'systemd-analyze security rates it at most %.1f (it says %s)'
               % (MAX_EXPOSURE, exposure),
               '' if exposure is not None else result.stdout[-2000:] + result.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
