#!/usr/bin/env python3
"""Counts what the test command ran: each TAP subtest of a meson test (or the
meson test itself when it is not TAP), and each case of the Node test runner.
Prints 'N passed, N failed, N skipped' as its last line."""
import json
import re
import sys

passed = failed = skipped = 0
details = []

def count_tap(text):
    p = f = s = 0
    for line in text.splitlines():
        m = re.match(r'^(not ok|ok)\b(.*)$', line)
        if not m:
            continue
        directive = m.group(2)
        if re.search(r'#\s*skip', directive, re.I):
            s += 1
        elif m.group(1) == 'ok' or re.search(r'#\s*todo', directive, re.I):
            p += 1
        else:
            f += 1
            details.append(line.strip())
    return p, f, s

def meson_log(path):
    global passed, failed, skipped
    try:
        lines = open(path, encoding='utf-8', errors='replace').read().splitlines()
    except FileNotFoundError:
        failed += 1
        details.append(f'no meson test log at {path}')
        return
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        result = entry.get('result', '')
        p, f, s = (0, 0, 0)
        if entry.get('protocol') == 'tap' or re.search(r'^1\.\.\d+', entry.get('stdout') or '', re.M):
            p, f, s = count_tap(entry.get('stdout') or '')
        if p + f + s == 0:
            if result in ('OK', 'EXPECTEDFAIL'):
                p = 1
            elif result == 'SKIP':
                s = 1
            else:
                f = 1
        elif result not in ('OK', 'EXPECTEDFAIL', 'SKIP') and f == 0:
            # It crashed or timed out after its last reported case.
            f = 1
        if f:
            details.append(f"meson test {entry.get('name')}: {result}")
        passed += p
        failed += f
        skipped += s

def node_tap(path):
    global passed, failed, skipped
    try:
        text = open(path, encoding='utf-8', errors='replace').read()
    except FileNotFoundError:
        failed += 1
        details.append(f'no Node test report at {path}')
        return
    totals = {}
    for key in ('pass', 'fail', 'skipped', 'cancelled', 'todo'):
        m = re.search(rf'^# {key} (\d+)$', text, re.M)
        totals[key] = int(m.group(1)) if m else 0
    if not re.search(r'^# tests \d+$', text, re.M):
        failed += 1
        details.append(f'the Node test run at {path} did not finish')
    passed += totals['pass'] + totals['todo']
    failed += totals['fail'] + totals['cancelled']
    skipped += totals['skipped']
    for m in re.finditer(r'^\s*not ok \d+ - (.*)$', text, re.M):
        details.append(f'node: {m.group(1)}')

for arg in sys.argv[1:]:
    kind, _, path = arg.partition('=')
    if kind == 'meson':
        meson_log(path)
    elif kind == 'node':
        node_tap(path)
    elif kind == 'tap':
        try:
            p, f, s_ = count_tap(open(path, encoding='utf-8', errors='replace').read())
        except FileNotFoundError:
            p, f, s_ = 0, 1, 0
            details.append(f'no TAP report at {path}')
        passed += p
        failed += f
        skipped += s_
    elif kind == 'fail':
        failed += 1
        details.append(path)

if details:
    print('Failures:')
    for d in details[:50]:
        print(f'  {d}')
print(f'{passed} passed, {failed} failed, {skipped} skipped')
sys.exit(1 if failed else 0)
