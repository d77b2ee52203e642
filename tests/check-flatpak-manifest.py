#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Checks flatpak/org.housecall.Console.json without building it (this network
# cannot download runtimes or sources): its keys are ones flatpak-builder
# knows, every library the console links is either in the GNOME runtime or
# built by a module (and no module is built for nothing), every download is
# pinned by checksum and its provenance is written down in flatpak/README.md,
# the permissions are the smallest set the console needs, and flatpak-builder
# itself reads the manifest without a warning. Speaks TAP.
#
# usage: check-flatpak-manifest.py SOURCE-ROOT

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# The keys flatpak-builder 1.2 understands (its documentation, "Flatpak
# manifests"), restricted to what this project may reasonably use.
MANIFEST_KEYS = {
    'id', 'app-id', 'branch', 'default-branch', 'runtime', 'runtime-version', 'sdk',
    'sdk-extensions', 'command', 'modules', 'finish-args', 'cleanup', 'cleanup-commands',
    'build-options', 'rename-desktop-file', 'rename-icon', 'rename-appdata-file',
    'copy-icon', 'desktop-file-name-prefix', 'desktop-file-name-suffix', 'tags',
    'separate-locales', 'add-extensions',
}
MODULE_KEYS = {
    'name', 'buildsystem', 'config-opts', 'make-args', 'make-install-args', 'sources',
    'cleanup', 'build-options', 'builddir', 'subdir', 'post-install', 'build-commands',
    'install-rule', 'no-autogen', 'disabled', 'modules', 'run-tests', 'test-rule',
    'test-commands', 'only-arches', 'skip-arches', 'cleanup-platform', 'ensure-writable',
}
SOURCE_KEYS = {
    'archive': {'type', 'url', 'path', 'sha256', 'dest', 'strip-components', 'dest-filename',
                'archive-type', 'only-arches', 'skip-arches', 'x-checker-data'},
    'file': {'type', 'url', 'path', 'sha256', 'dest', 'dest-filename', 'only-arches',
             'skip-arches'},
    'git': {'type', 'url', 'tag', 'commit', 'branch', 'dest', 'disable-submodules',
            'only-arches', 'skip-arches'},
    'dir': {'type', 'path', 'dest', 'skip'},
    'patch': {'type', 'path', 'paths', 'strip-components', 'dest', 'use-git', 'options'},
}
BUILDSYSTEMS = {'autotools', 'cmake', 'cmake-ninja', 'meson', 'simple', 'qmake'}

# pkg-config names the org.gnome.Platform runtime ships, checked against
# gnome-build-meta's gnome-50 branch (elements/sdk-platform.bst: gtk, libadwaita,
# libsoup, json-glib, libsecret) and the freedesktop-sdk 25.08 it is built on
# (elements/platform.bst: glib, gstreamer and its base/good/bad plugins with
# webrtc, srtp and libnice, openssl, sqlite).
RUNTIME_PROVIDES = {
    'glib-2.0', 'gobject-2.0', 'gio-2.0', 'gio-unix-2.0', 'gtk4', 'libadwaita-1',
    'libsoup-3.0', 'json-glib-1.0', 'libsecret-1', 'gstreamer-1.0', 'gstreamer-base-1.0',
    'gstreamer-app-1.0', 'gstreamer-audio-1.0', 'gstreamer-video-1.0', 'gstreamer-rtp-1.0',
    'gstreamer-sdp-1.0', 'gstreamer-webrtc-1.0', 'nice', 'openssl', 'sqlite3',
}
# What each module of the manifest builds, and what it needs built before it.
MODULE_PROVIDES = {
    'jansson': {'provides': {'jansson'}, 'needs': set()},
    'libjwt': {'provides': {'libjwt'}, 'needs': {'jansson', 'openssl'}},
    'libqrencode': {'provides': {'libqrencode'}, 'needs': set()},
}
# The permissions the console needs, and why; anything else is refused.
ALLOWED_FINISH_ARGS = {
    '--share=network',       # the practice server and the media
    '--share=ipc',           # X11 shared memory under fallback-x11
    '--socket=wayland',
    '--socket=fallback-x11',
    '--socket=pulseaudio',   # microphone and speaker
    '--device=dri',          # GL rendering of the video
    '--device=all',          # the camera through V4L2 while there is no camera portal code
}
APP_MODULE = 'housecall'

number = 0
failures = 0


def report(passed, description, problems=()):
    global number, failures
    number += 1
    if not passed:
        failures += 1
    print('%s %d - %s' % ('ok' if passed else 'not ok', number, description))
    for problem in problems:
        print('# ' + problem)
    sys.stdout.flush()


def skip(description, reason):
    global number
    number += 1
    print('ok %d - %s # SKIP %s' % (number, description, reason))


def meson_dependencies(path, skip_server_block=False):
    """The names in dependency('…') calls of a meson file; with
    skip_server_block, leaves out those only a -Dserver=true build asks for."""
    names = []
    depth_in_server = 0
    for line in open(path):
        stripped = line.strip()
        if skip_server_block:
            if re.match(r"if get_option\('server'\)", stripped):
                depth_in_server = 1
                continue
            if depth_in_server:
                if stripped.startswith('if '):
                    depth_in_server += 1
                elif stripped == 'endif':
                    depth_in_server -= 1
                continue
        names += re.findall(r"dependency\(\s*'([^']+)'", line)
    return names


def check_keys(manifest):
    problems = []
    for key in manifest:
        if key not in MANIFEST_KEYS:
            problems.append('unknown manifest key %r' % key)
    for required in ('id', 'runtime', 'runtime-version', 'sdk', 'command', 'modules',
                     'finish-args'):
        if required not in manifest:
            problems.append('the manifest has no %r' % required)
    for module in manifest.get('modules', []):
        if not isinstance(module, dict):
            problems.append('a module is not an object: %r' % module)
            continue
        name = module.get('name', '?')
        for key in module:
            if key not in MODULE_KEYS:
                problems.append('module %s: unknown key %r' % (name, key))
        if module.get('buildsystem', 'autotools') not in BUILDSYSTEMS:
            problems.append('module %s: unknown buildsystem %r' % (name, module['buildsystem']))
        for source in module.get('sources', []):
            kind = source.get('type')
            if kind not in SOURCE_KEYS:
                problems.append('module %s: unknown source type %r' % (name, kind))
                continue
            for key in source:
                if key not in SOURCE_KEYS[kind]:
                    problems.append('module %s: %s source has unknown key %r' % (name, kind, key))
    return problems


def check_pins(manifest, readme):
    problems = []
    pins = 0
    for module in manifest['modules']:
        name = module['name']
        for source in module.get('sources', []):
            kind = source['type']
            if kind in ('archive', 'file') and 'url' in source:
                if not source['url'].startswith('https://'):
                    problems.append('module %s: %s is not https' % (name, source['url']))
                sha = source.get('sha256', '')
                if not re.fullmatch(r'[0-9a-f]{64}', sha):
                    problems.append('module %s: %s has no sha256 pin' % (name, source['url']))
                elif sha not in readme or source['url'] not in readme:
                    problems.append('module %s: flatpak/README.md does not say where the '
                                    'checksum of %s comes from' % (name, source['url']))
                else:
                    pins += 1
            elif kind == 'git':
                if not re.fullmatch(r'[0-9a-f]{40}', source.get('commit', '')):
                    problems.append('module %s: git source %s has no commit pin'
                                    % (name, source.get('url')))
                else:
                    pins += 1
            elif kind == 'dir' and name != APP_MODULE:
                problems.append('module %s: only the application itself may come from a '
                                'directory' % name)
    return problems, pins


def check_dependencies(manifest, root):
    problems = []
    wanted = set(meson_dependencies(os.path.join(root, 'meson.build'), skip_server_block=True))
    for sub in ('src/common', 'src/console', 'src/console/engine'):
        wanted |= set(meson_dependencies(os.path.join(root, sub, 'meson.build')))
    modules = [m['name'] for m in manifest['modules']]
    if not modules or modules[-1] != APP_MODULE:
        problems.append('the last module must be %s, built on the others' % APP_MODULE)
    built = set()
    for name in modules[:-1]:
        if name not in MODULE_PROVIDES:
            problems.append('module %s: this check does not know what it provides' % name)
            continue
        for need in MODULE_PROVIDES[name]['needs']:
            if need not in RUNTIME_PROVIDES and need not in built:
                problems.append('module %s needs %s, which no module before it builds'
                                % (name, need))
        built |= MODULE_PROVIDES[name]['provides']
    for dep in sorted(wanted):
        if dep not in RUNTIME_PROVIDES and dep not in built:
            problems.append('the console links %s, which neither the runtime nor a module '
                            'provides' % dep)
    # A module nothing needs is dead weight in every install.
    needed = set(wanted)
    for name in modules[:-1]:
        needed |= MODULE_PROVIDES.get(name, {}).get('needs', set())
    for name in modules[:-1]:
        provides = MODULE_PROVIDES.get(name, {}).get('provides', set())
        if provides and not provides & needed:
            problems.append('module %s builds %s, which the console does not need'
                            % (name, ', '.join(sorted(provides))))
    return problems, sorted(wanted)


def check_app(manifest, root):
    problems = []
    top = open(os.path.join(root, 'meson.build')).read()
    app_id = re.findall(r"app_id = '([^']+)'", top)
    stable = [a for a in app_id if not a.endswith('.Devel')]
    if manifest.get('id') not in stable:
        problems.append('id %r is not the stable application id %r' % (manifest.get('id'), stable))
    console_build = open(os.path.join(root, 'src/console/meson.build')).read()
    exe = re.search(r"executable\('([^']+)'", console_build)
    if exe is None or manifest.get('command') != exe.group(1):
        problems.append('command %r is not the console program %r'
                        % (manifest.get('command'), exe and exe.group(1)))
    if manifest.get('runtime') != 'org.gnome.Platform' or manifest.get('sdk') != 'org.gnome.Sdk':
        problems.append('runtime and sdk must be GNOME\'s')
    version = str(manifest.get('runtime-version', ''))
    if not re.fullmatch(r'\d+', version) or int(version) < 44:
        problems.append('runtime-version %r: GNOME 44 or newer is needed' % version)
    options = open(os.path.join(root, 'meson_options.txt')).read()
    app = [m for m in manifest['modules'] if m.get('name') == APP_MODULE]
    opts = app[0].get('config-opts', []) if app else []
    for wanted in ('-Dconsole=enabled', '-Dserver=false', '-Dtests=false'):
        if wanted not in opts:
            problems.append('the %s module is not configured with %s' % (APP_MODULE, wanted))
    for opt in opts:
        match = re.match(r'-D([a-z_-]+)=', opt)
        if match and "option('%s'" % match.group(1) not in options:
            problems.append('%s is not an option of meson_options.txt' % opt)
    return problems


def check_permissions(manifest, root):
    problems = []
    args = manifest.get('finish-args', [])
    for arg in args:
        if arg not in ALLOWED_FINISH_ARGS:
            problems.append('permission %s is not one the console needs' % arg)
    for needed in ('--share=network', '--socket=wayland', '--socket=fallback-x11',
                   '--socket=pulseaudio'):
        if needed not in args:
            problems.append('permission %s is missing' % needed)
    if '--device=all' in args and '--device=dri' in args:
        problems.append('--device=all already includes --device=dri')
    if '--device=all' not in args and '--device=dri' not in args:
        problems.append('no GPU access: --device=dri is missing')
    # The camera: through the camera portal once the console asks it, else the
    # V4L2 devices themselves.
    sources = ''
    for dirpath, _, files in os.walk(os.path.join(root, 'src/console')):
        for f in files:
            if f.endswith('.c'):
                sources += open(os.path.join(dirpath, f), errors='replace').read()
    uses_portal = re.search(r'AccessCamera|xdp_portal_access_camera|portal\.Camera', sources)
    if uses_portal and '--device=all' in args:
        problems.append('the console uses the camera portal: drop --device=all for --device=dri')
    if not uses_portal and '--device=all' not in args:
        problems.append('without camera portal code the camera needs --device=all')
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    path = os.path.join(root, 'flatpak', 'org.housecall.Console.json')
    print('1..7')
    try:
        manifest = json.load(open(path))
    except (OSError, ValueError) as e:
        report(False, 'the manifest is JSON', [str(e)])
        print('Bail out! no manifest')
        return 1
    report(isinstance(manifest, dict), 'the manifest is a JSON object')
    report_problems = check_keys(manifest)
    report(not report_problems, 'every key is one flatpak-builder knows', report_problems)
    problems = check_app(manifest, root)
    report(not problems, 'id, command, runtime and build options match the project', problems)
    problems, wanted = check_dependencies(manifest, root)
    report(not problems, 'every library the console links (%d) comes from the runtime or a '
           'module, and every module is needed' % len(wanted), problems)
    readme = open(os.path.join(root, 'flatpak', 'README.md')).read()
    problems, pins = check_pins(manifest, readme)
    report(not problems and pins > 0,
           'every download (%d) is pinned by checksum, with its provenance in flatpak/README.md'
           % pins, problems)
    problems = check_permissions(manifest, root)
    report(not problems, 'the permissions are the smallest set the console needs', problems)

    builder = shutil.which('flatpak-builder')
    if builder is None:
        skip('flatpak-builder --show-manifest reads it without a warning',
             'flatpak-builder is not installed')
    else:
        env = dict(os.environ, G_DEBUG='fatal-warnings')
        # It leaves a .flatpak-builder/ state directory where it runs.
        with tempfile.TemporaryDirectory(prefix='hc-flatpak-') as scratch:
            result = subprocess.run([builder, '--show-manifest', os.path.abspath(path)],
                                    env=env, cwd=scratch, capture_output=True, text=True,
                                    timeout=60)
        shown = None
        try:
            shown = json.loads(result.stdout)
        except ValueError:
            pass
        same = shown is not None and [m.get('name') for m in shown.get('modules', [])] == \
            [m['name'] for m in manifest['modules']]
        passed = result.returncode == 0 and same
        report(passed, 'flatpak-builder --show-manifest reads it without a warning',
               [] if passed else
               ['exit status %d' % result.returncode] + result.stderr.splitlines())
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
