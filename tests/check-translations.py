#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The console's translations: po/POTFILES.in names every file with a
# translatable string (_(), N_(), C_(), NC_(), g_dngettext (), or
# translatable="yes"; the desktop file, metainfo and schema) and nothing that
# is gone; each po/LANG.po of po/LINGUAS passes `msgfmt --check`; and merged
# with a template made now from the sources (xgettext, as meson's
# housecall-pot does), each has no untranslated and no fuzzy message — a
# string added without its translations fails here. Speaks TAP.
#
# usage: check-translations.py SOURCE-ROOT

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

MARKERS = re.compile(r'\b(?:_|N_|C_|NC_|g_dngettext|g_dpgettext2|ngettext)\s*\(|'
                     r'translatable="yes"')
# As meson's i18n.gettext(preset: 'glib').
XGETTEXT_ARGS = [
    '--from-code=UTF-8', '--add-comments', '--keyword=_', '--keyword=N_',
    '--keyword=C_:1c,2', '--keyword=NC_:1c,2', '--keyword=g_dcgettext:2',
    '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format', '--flag=NC_:2:pass-c-format',
    '--flag=g_dngettext:2:pass-c-format', '--flag=g_strdup_printf:1:c-format',
    '--flag=g_string_printf:2:c-format', '--flag=g_string_append_printf:2:c-format',
    '--flag=g_error_new:3:c-format', '--flag=g_set_error:4:c-format',
    '--flag=g_markup_printf_escaped:1:c-format', '--flag=g_log:3:c-format',
    '--flag=g_print:1:c-format', '--flag=g_printerr:1:c-format', '--flag=g_printf:1:c-format',
    '--flag=g_fprintf:2:c-format', '--flag=g_sprintf:2:c-format', '--flag=g_snprintf:3:c-format',
]

number = 0
failures = 0


def report(passed, description, diagnostics=()):
    global number, failures
    number += 1
    if not passed:
        failures += 1
    print('%s %d - %s' % ('ok' if passed else 'not ok', number, description))
    if not passed:
        for line in diagnostics:
            print('# ' + line)
    sys.stdout.flush()


def files_with_strings(root):
    found = set()
    patterns = ['src/**/*.c', 'ui/**/*.ui', 'data/*.desktop.in', 'data/*.metainfo.xml.in',
                'data/*.gschema.xml']
    for pattern in patterns:
        for path in glob.glob(os.path.join(root, pattern), recursive=True):
            rel = os.path.relpath(path, root)
            text = open(path, errors='replace').read()
            # The desktop file, metainfo and schema are translatable as a whole.
            if rel.startswith('data/') or MARKERS.search(text):
                found.add(rel)
    return found


def potfiles(root):
    listed = []
    for line in open(os.path.join(root, 'po', 'POTFILES.in')):
        line = line.strip()
        if line and not line.startswith('#'):
            listed.append(line)
    return listed


def statistics(po, env):
    result = subprocess.run(['msgfmt', '--statistics', '-o', os.devnull, po],
                            capture_output=True, text=True, env=env, timeout=60)
    text = result.stderr
    numbers = {}
    for count, kind in re.findall(r'(\d+) (translated|fuzzy|untranslated)', text):
        numbers[kind] = int(count)
    return numbers, text.strip()


def untranslated_ids(po):
    """The msgids a merged catalogue leaves empty or fuzzy, for the log."""
    ids = []
    text = open(po).read()
    for block in text.split('\n\n'):
        fuzzy = '#, fuzzy' in block or re.search(r'^#,.*fuzzy', block, re.M)
        msgid = re.search(r'^msgid "(.*)"', block, re.M)
        empty = re.search(r'^msgstr ""\n(?!")', block + '\n', re.M)
        if msgid and msgid.group(1) and (fuzzy or empty):
            ids.append(('fuzzy: ' if fuzzy else 'untranslated: ') + msgid.group(1)[:70])
    return ids


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else '.')
    languages = [l.strip() for l in open(os.path.join(root, 'po', 'LINGUAS'))
                 if l.strip() and not l.startswith('#')]
    print('1..%d' % (2 + 2 * len(languages)))
    env = dict(os.environ, LC_ALL='C.UTF-8')

    listed = potfiles(root)
    wanted = files_with_strings(root)
    missing = sorted(wanted - set(listed))
    report(not missing, 'po/POTFILES.in lists every file with translatable strings (%d)'
           % len(wanted), ['not listed: ' + m for m in missing])
    gone = [f for f in listed if not os.path.exists(os.path.join(root, f))]
    unneeded = [f for f in listed if f not in gone and f not in wanted]
    report(not gone and not unneeded, 'every file po/POTFILES.in lists exists and has strings',
           ['does not exist: ' + g for g in gone] + ['no strings: ' + u for u in unneeded])

    if shutil.which('xgettext') is None or shutil.which('msgmerge') is None:
        for lang in languages:
            for what in ('msgfmt --check', 'complete'):
                global number
                number += 1
                print('ok %d - %s.po %s # SKIP gettext is not installed' % (number, lang, what))
        return 1 if failures else 0

    with tempfile.TemporaryDirectory(prefix='hc-po-') as work:
        pot = os.path.join(work, 'housecall.pot')
        existing = [f for f in listed if os.path.exists(os.path.join(root, f))]
        files = os.path.join(work, 'POTFILES')
        with open(files, 'w') as f:
            f.write('\n'.join(existing) + '\n')
        result = subprocess.run(['xgettext', '--package-name=housecall', '--output=' + pot,
                                 '--directory=' + root, '--files-from=' + files] +
                                XGETTEXT_ARGS, capture_output=True, text=True, env=env,
                                timeout=120)
        if result.returncode != 0:
            print('Bail out! xgettext failed: ' + result.stderr.replace('\n', ' '))
            return 1
        for lang in languages:
            po = os.path.join(root, 'po', lang + '.po')
            result = subprocess.run(['msgfmt', '--check', '-o', os.devnull, po],
                                    capture_output=True, text=True, env=env, timeout=60)
            report(result.returncode == 0, '%s.po passes msgfmt --check' % lang,
                   result.stderr.splitlines())

            merged = os.path.join(work, lang + '.po')
            result = subprocess.run(['msgmerge', '--quiet', '--no-fuzzy-matching',
                                     '--output-file=' + merged, po, pot],
                                    capture_output=True, text=True, env=env, timeout=60)
            numbers, text = statistics(merged, env)
            passed = result.returncode == 0 and numbers.get('translated', 0) > 0 and \
                not numbers.get('fuzzy') and not numbers.get('untranslated')
            report(passed, '%s.po translates every message of the sources, none fuzzy (%s)'
                   % (lang, text), ([result.stderr] if result.returncode else []) +
                   untranslated_ids(merged))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
