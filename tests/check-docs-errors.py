#!/usr/bin/env python3
"""Checks that docs/errors.md lists every error code of src/common/hc-error.c
with the same number, slug and HTTP status."""
import re
import sys

root = sys.argv[1]
header = open(f'{root}/src/common/hc-error.h').read()
source = open(f'{root}/src/common/hc-error.c').read()
docs = open(f'{root}/docs/errors.md').read()

numbers = dict(re.findall(r'(HC_ERROR_[A-Z_]+) = (\d+)', header))
table = re.findall(r'\{ (HC_ERROR_[A-Z_]+), "([a-z0-9-]+)", (\d+) \}', source)
rows = {slug: (code, status) for code, slug, status in
        re.findall(r'^\| (\d+) \| `([a-z0-9-]+)` \| (\d+) \|', docs, re.M)}

problems = []
for name, slug, status in table:
    number = numbers.get(name)
    if slug not in rows:
        problems.append(f'{slug} ({name}) is not in docs/errors.md')
    elif rows[slug] != (number, status):
        problems.append(f'{slug}: code says {number}/{status}, docs say {rows[slug][0]}/{rows[slug][1]}')
for slug in rows:
    if slug not in {s for _, s, _ in table}:
        problems.append(f'docs/errors.md lists {slug}, which the code does not have')

print('1..1')
if problems or not table:
    for p in problems:
        print(f'# {p}')
    print('not ok 1 - docs/errors.md matches hc-error.c')
    sys.exit(1)
print(f'ok 1 - docs/errors.md matches hc-error.c ({len(table)} codes)')
