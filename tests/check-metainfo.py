#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What appstreamcli does not know about this project: each screenshot the
# metainfo shows is a picture in data/screenshots/ (taken by the UI tests,
# copied by tests/desktop/update-screenshots.sh) at the size it says, and no
# picture there is unused; the newest release is this version and says what
# is in it; the content rating and the supported input controls are there;
# the application icons are SVG, the symbolic one on 16x16.
# Speaks TAP.
#
# usage: check-metainfo.py SOURCE-ROOT

import os
import re
import struct
import sys
import xml.etree.ElementTree as ET


def png_size(path):
    with open(path, 'rb') as f:
        head = f.read(24)
    if head[:8] != b'\x89PNG\r\n\x1a\n' or head[12:16] != b'IHDR':
        return None
    return struct.unpack('>II', head[16:24])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    metainfo = ET.parse(os.path.join(root, 'data', 'org.housecall.Console.metainfo.xml.in'))
    shots_dir = os.path.join(root, 'data', 'screenshots')
    version = re.search(r"version:\s*'([^']+)'",
                        open(os.path.join(root, 'meson.build')).read()).group(1)
    results = []

    problems = []
    used = set()
    images = metainfo.findall('./screenshots/screenshot/image')
    for image in images:
        name = os.path.basename(image.text.strip())
        used.add(name)
        path = os.path.join(shots_dir, name)
        if not os.path.exists(path):
            problems.append('%s is not in data/screenshots/' % name)
            continue
        size = png_size(path)
        declared = (int(image.get('width', 0)), int(image.get('height', 0)))
        if size != declared:
            problems.append('%s is %r, the metainfo says %r' % (name, size, declared))
    for caption in metainfo.findall('./screenshots/screenshot'):
        if caption.find('caption') is None:
            problems.append('a screenshot has no caption')
    unused = sorted(set(f for f in os.listdir(shots_dir) if f.endswith('.png')) - used) \
        if os.path.isdir(shots_dir) else []
    problems += ['data/screenshots/%s is not shown by the metainfo' % f for f in unused]
    results.append((images and not problems,
                    'each screenshot (%d) is in data/screenshots/ at its declared size'
                    % len(images), problems))

    releases = metainfo.findall('./releases/release')
    newest = releases[0] if releases else None
    problems = []
    if newest is None:
        problems.append('no release')
    else:
        if newest.get('version') != version:
            problems.append('the newest release is %s, meson.build says %s'
                            % (newest.get('version'), version))
        if not re.fullmatch(r'\d{4}-\d{2}-\d{2}', newest.get('date', '')):
            problems.append('the newest release has no date')
        if newest.find('./description') is None:
            problems.append('the newest release has no notes')
    results.append((not problems, 'the newest release is %s, with a date and notes' % version,
                    problems))

    problems = []
    rating = metainfo.find('./content_rating')
    if rating is None or rating.get('type') != 'oars-1.1':
        problems.append('no OARS 1.1 content rating')
    controls = {c.text for c in metainfo.findall('./supports/control')} | \
        {c.text for c in metainfo.findall('./requires/control')} | \
        {c.text for c in metainfo.findall('./recommends/control')}
    for wanted in ('keyboard', 'pointing'):
        if wanted not in controls:
            problems.append('the %s control is not declared' % wanted)
    results.append((not problems, 'content rating and supported input controls are declared',
                    problems))

    # The icons the desktop file and the About window name.
    problems = []
    for rel, size in (('icons/hicolor/scalable/apps/org.housecall.Console.svg', None),
                      ('icons/hicolor/symbolic/apps/org.housecall.Console-symbolic.svg', 16)):
        path = os.path.join(root, 'data', rel)
        try:
            svg = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as e:
            problems.append('%s: %s' % (rel, e))
            continue
        if not svg.tag.endswith('svg'):
            problems.append('%s is not an SVG' % rel)
        view = (svg.get('viewBox') or '').split()
        if size is not None and view[2:] != [str(size), str(size)]:
            problems.append('%s: a symbolic icon is drawn on 16x16, not %r' % (rel, view))
        if size is None and (len(view) != 4 or view[2] != view[3]):
            problems.append('%s: the app icon must be square, viewBox %r' % (rel, view))
    results.append((not problems, 'the scalable and symbolic application icons are SVG of the '
                    'right shape', problems))

    print('1..%d' % len(results))
    for number, (passed, description, diagnostics) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if passed else 'not ok', number, description))
        for line in diagnostics:
            print('# ' + line)
    return 0 if all(r[0] for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
