#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The keyboard shortcuts window lists exactly the accelerators the console
# has: those of gtk_widget_class_add_binding_action () and
# gtk_application_set_accels_for_action () in src/console/, F10 when a menu
# button is the primary menu, and Ctrl+? that GtkApplication gives
# win.show-help-overlay. A new accelerator without its line in
# ui/gtk/help-overlay.ui, or a line for one that is gone, fails. Speaks TAP.
#
# usage: check-shortcuts.py SOURCE-ROOT

import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

MODIFIERS = {
    'GDK_CONTROL_MASK': 'control', 'GDK_SHIFT_MASK': 'shift', 'GDK_ALT_MASK': 'alt',
    'GDK_SUPER_MASK': 'super',
    'control': 'control', 'primary': 'control', 'ctrl': 'control', 'shift': 'shift',
    'alt': 'alt', 'super': 'super',
}


def normal(key, modifiers):
    return (key.lower(), frozenset(MODIFIERS[m] for m in modifiers if m != '0'))


def parse_accelerator(text):
    mods = re.findall(r'<(\w+)>', text)
    key = re.sub(r'<\w+>', '', text)
    return normal(key, [m.lower() for m in mods])


def show(accel):
    key, mods = accel
    return '+'.join(sorted(m.capitalize() for m in mods) + [key])


def code_accelerators(root):
    found = {}
    for path in sorted(glob.glob(os.path.join(root, 'src', 'console', '**', '*.c'),
                                 recursive=True)):
        source = open(path).read()
        for match in re.finditer(r'gtk_widget_class_add_binding_action\s*\(\s*\w+\s*,\s*'
                                 r'GDK_KEY_(\w+)\s*,\s*([\w\s|]+?)\s*,\s*"([\w.-]+)"', source):
            mods = [m.strip() for m in match.group(2).split('|')]
            found[normal(match.group(1), mods)] = '%s (%s)' % (match.group(3),
                                                               os.path.basename(path))
        # static const char *quit_accels[] = { "<Control>q", NULL }; … set_accels_for_action
        arrays = dict(re.findall(r'\*\s*(\w+)\[\]\s*=\s*\{([^}]*)\}', source))
        for match in re.finditer(r'gtk_application_set_accels_for_action\s*\([^,]+,\s*'
                                 r'"([\w.-]+)"\s*,\s*(\w+)\s*\)', source):
            for accel in re.findall(r'"([^"]+)"', arrays.get(match.group(2), '')):
                found[parse_accelerator(accel)] = '%s (%s)' % (match.group(1),
                                                               os.path.basename(path))
    # What GTK adds by itself.
    ui = ''.join(open(p).read() for p in glob.glob(os.path.join(root, 'ui', '*.ui')))
    if re.search(r'<property name="primary">True</property>', ui):
        found[normal('F10', [])] = 'the primary menu (GtkMenuButton:primary)'
    if os.path.exists(os.path.join(root, 'ui', 'gtk', 'help-overlay.ui')):
        found[parse_accelerator('<Control>question')] = 'win.show-help-overlay (GtkApplication)'
    return found


def overlay_accelerators(root):
    tree = ET.parse(os.path.join(root, 'ui', 'gtk', 'help-overlay.ui'))
    listed = {}
    problems = []
    for shortcut in tree.iter('object'):
        if shortcut.get('class') != 'GtkShortcutsShortcut':
            continue
        props = {p.get('name'): p for p in shortcut.findall('property')}
        title = props.get('title')
        if title is None or title.get('translatable') != 'yes':
            problems.append('a shortcut has no translatable title')
        accel = props.get('accelerator')
        if accel is None:
            problems.append('%r has no accelerator property (binding actions are not found '
                            'by action-name)' % (title.text if title is not None else '?'))
            continue
        for one in accel.text.split():
            listed[parse_accelerator(one)] = title.text if title is not None else '?'
    return listed, problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    print('1..2')
    code = code_accelerators(root)
    listed, problems = overlay_accelerators(root)
    missing = ['%s for %s' % (show(a), code[a]) for a in code if a not in listed]
    extra = ['%s (%s)' % (show(a), listed[a]) for a in listed if a not in code]
    passed = not missing and len(code) > 3
    print('%s 1 - every accelerator of the console (%d) is in the shortcuts window'
          % ('ok' if passed else 'not ok', len(code)))
    for m in missing:
        print('# not listed: ' + m)
    passed2 = not extra and not problems
    print('%s 2 - the shortcuts window lists no accelerator the console does not have'
          % ('ok' if passed2 else 'not ok'))
    for e in extra + problems:
        print('# ' + e)
    return 0 if passed and passed2 else 1


if __name__ == '__main__':
    sys.exit(main())
