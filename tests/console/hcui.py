# SPDX-License-Identifier: GPL-3.0-or-later
#
# What the console's UI tests share: TAP reporting, finding widgets in the
# accessibility tree, waiting (always bounded), the keyboard through xdotool,
# screenshots, and a real housecalld to talk to.

import base64
import json
import math
import os
import re
import struct
import subprocess
import sys
import threading
import time
import wave
from datetime import datetime, timedelta, timezone
import urllib.parse
import urllib.request

import gi

gi.require_version('Atspi', '2.0')
gi.require_version('GdkPixbuf', '2.0')
from gi.repository import Atspi, GdkPixbuf, GLib  # noqa: E402

TIMEOUT = 60.0
# libatspi waits 800 ms for an answer from the application by default; a
# console under the sanitizers on a busy two-core machine can take longer to
# answer one question (CI: "Did not receive a reply" from a button's action).
METHOD_TIMEOUT_MS = 10000
Atspi.set_timeout(METHOD_TIMEOUT_MS, 30000)
# HCUI_TRACE=1: every search and wait, with its cost, in the TAP output.
TRACE = bool(os.environ.get('HCUI_TRACE'))
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEER = os.path.join(SOURCE_ROOT, 'tests', 'browser', 'lib', 'peer-cli.mjs')
PASSWORD = 'a long and good password'

number = 0
failures = 0
last_report = time.monotonic()


def report(passed, description, diagnostics=''):
    global number, failures, last_report
    number += 1
    if not passed:
        failures += 1
    now = time.monotonic()
    print('%s %d - %s' % ('ok' if passed else 'not ok', number, description))
    # Where a slow test spends its time.
    print('# %.1f s' % (now - last_report))
    last_report = now
    for line in diagnostics.splitlines():
        print('# ' + line)
    sys.stdout.flush()
    return passed


def bail_out(reason):
    print('Bail out! ' + reason)
    sys.exit(1)


def children(accessible):
    try:
        count = accessible.get_child_count()
    except GLib.Error:
        return
    for i in range(count):
        try:
            child = accessible.get_child_at_index(i)
        except GLib.Error:
            continue
        if child is not None:
            yield child


def is_showing(accessible):
    """Whether @accessible is on screen (a hidden stack page's widgets are still
    in the tree)."""
    try:
        return accessible.get_state_set().contains(Atspi.StateType.SHOWING)
    except GLib.Error:
        return False


def find(accessible, role, name=None, pattern=None, showing=False):
    """The first descendant of @accessible (in tree order) with @role (None: any),
    named @name or matching @pattern, and on screen if @showing. Asked a level of
    the tree at a time (level_find), or the slow way if the tree cannot be read so
    (an object gone under us)."""
    start = time.monotonic()
    try:
        found = level_find(accessible, role, name, pattern, showing)
    except (LookupError, GLib.Error, AttributeError) as error:
        if TRACE:
            print('#   level search failed (%s): walking' % error)
        found = walk_find(accessible, role, name, pattern, showing)
    if TRACE:
        print('# find %s %r %r: %s in %.2f s' % (role and role.value_nick, name, pattern,
                                                'found' if found else 'none',
                                                time.monotonic() - start))
    return found


def walk_find(accessible, role, name=None, pattern=None, showing=False):
    """find() the slow way: a question per node and property."""
    for child in children(accessible):
        if accessible_matches(child, role, name, pattern, showing):
            return child
        found = walk_find(child, role, name, pattern, showing)
        if found is not None:
            return found
    return None


_a11y_bus = None


def a11y_bus():
    global _a11y_bus
    if _a11y_bus is None:
        from gi.repository import Gio
        session = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        address = session.call_sync('org.a11y.Bus', '/org/a11y/bus', 'org.a11y.Bus',
                                    'GetAddress', None, GLib.VariantType('(s)'),
                                    Gio.DBusCallFlags.NONE, 10000, None).unpack()[0]
        _a11y_bus = Gio.DBusConnection.new_for_address_sync(
            address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
    return _a11y_bus


# walk_find() asks one question at a time, and each waits for the console's main loop:
# during a visit under the sanitizers one walk of the main window took 7-35 s. Here
# the questions about a whole level of the tree (each node's children, role, name and
# states) go out together, from several threads on one D-Bus connection; the console
# answers them in a burst, so a search costs about one round trip per level. GTK makes
# the children's accessibles as they are asked for, as with the walk.
ACCESSIBLE = 'org.a11y.atspi.Accessible'
_pool = None
# (bus name, path) -> Atspi.Accessible: GTK's paths are unique names, never reused.
_reached = {}


def _ask(bus_name, path, interface, method, args=None):
    from gi.repository import Gio
    return a11y_bus().call_sync(bus_name, path, interface, method, args, None,
                                Gio.DBusCallFlags.NONE, METHOD_TIMEOUT_MS, None).unpack()[0]


def level_find(accessible, role, name, pattern, showing):
    """find() by asking a whole level of the tree at once; the first match in tree
    order, or None. Raises GLib.Error or LookupError if the tree cannot be read."""
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor
        _pool = ThreadPoolExecutor(max_workers=16)
    bus_name, start = accessible.app.bus_name, accessible.path
    _reached[(bus_name, start)] = accessible
    began, questions, levels = time.monotonic(), 0, 0
    parents = {}
    best = None
    name_args = GLib.Variant('(ss)', (ACCESSIBLE, 'Name'))
    level = [((), start)]
    while level:
        asked = []
        for key, path in level:
            if best is not None and key > best[0]:
                continue  # after the match in tree order, and so is all below it
            asked.append((key, path,
                          _pool.submit(_ask, bus_name, path, ACCESSIBLE, 'GetChildren'),
                          _pool.submit(_ask, bus_name, path, ACCESSIBLE, 'GetRole')
                          if key and role is not None else None,
                          _pool.submit(_ask, bus_name, path, 'org.freedesktop.DBus.Properties',
                                       'Get', name_args)
                          if key and (name is not None or pattern is not None) else None,
                          _pool.submit(_ask, bus_name, path, ACCESSIBLE, 'GetState')
                          if key and showing else None))
        level = []
        levels += 1
        questions += len(asked)
        for key, path, kids, own_role, own_name, states in asked:
            try:
                kids = kids.result()
                if key and (own_role is None or own_role.result() == int(role)) and \
                        (own_name is None or _name_matches(own_name.result(), name, pattern)) and \
                        (states is None or _showing(states.result())):
                    if best is None or key < best[0]:
                        best = (key, path)
            except GLib.Error:
                continue  # gone while we asked
            for index, (_, child) in enumerate(kids):
                parents[child] = (path, index)
                level.append((key + (index,), child))
    if TRACE:
        print('#   asked %d nodes on %d levels in %.2f s' % (questions, levels, time.monotonic() - began))
    return _reach(bus_name, best[1], parents) if best is not None else None


def _name_matches(own_name, name, pattern):
    return ((name is None or own_name == name) and
            (pattern is None or re.search(pattern, own_name or '') is not None))


def _showing(states):
    bits = (states[0] if states else 0) | ((states[1] if len(states) > 1 else 0) << 32)
    return bool(bits >> int(Atspi.StateType.SHOWING) & 1)


def _reach(bus_name, path, parents):
    """The Atspi object for @path, stepping down from the nearest one we have."""
    node = _reached.get((bus_name, path))
    if node is not None:
        return node
    parent_path, index = parents[path]
    if TRACE:
        print('#   stepping down to %s' % path)
    parent = _reach(bus_name, parent_path, parents)
    node = parent.get_child_at_index(index)
    if node is None or node.path != path:
        # GTK 4.8 does not always count children the same way in GetChildren and
        # GetChildAtIndex (a stack's pages): look at each child, and through a
        # child that stands alone (a stack page) to what it holds.
        node = None
        for child in children(parent):
            if child.path == path:
                node = child
                break
            try:
                if child.get_child_count() == 1:
                    inner = child.get_child_at_index(0)
                    if inner is not None and inner.path == path:
                        node = inner
                        break
            except GLib.Error:
                continue
    if node is None:
        raise LookupError(path)
    _reached[(bus_name, path)] = node
    return node


def accessible_matches(accessible, role, name, pattern, showing):
    try:
        own_name = accessible.get_name()
        return ((role is None or accessible.get_role() == role) and
                (name is None or own_name == name) and
                (pattern is None or re.search(pattern, own_name or '')) and
                (not showing or is_showing(accessible)))
    except GLib.Error:
        return False


def describe_tree(accessible, depth=0):
    try:
        lines = ['%s%s %r' % ('  ' * depth, accessible.get_role_name(), accessible.get_name())]
    except GLib.Error:
        return []
    for child in children(accessible):
        lines.extend(describe_tree(child, depth + 1))
    return lines


def _windows_of(desktop, pid):
    windows = []
    for app in children(desktop):
        try:
            if app.get_process_id() != pid:
                continue
        except GLib.Error:
            continue
        windows.extend(children(app))
    return windows


def app_windows(process):
    desktop = Atspi.get_desktop(0)
    windows = _windows_of(desktop, process.pid)
    if not windows and process.poll() is None:
        # libatspi can lose a running application: twice in CI ui-phone found no
        # window of a console that was still running, after libatspi warned
        # "g_hash_table_lookup: assertion 'hash_table != NULL'" (its object for
        # the application had been disposed). The desktop and the application
        # are then asked afresh over D-Bus instead of from libatspi's cache.
        try:
            desktop.clear_cache()
        except GLib.Error:
            pass
        windows = _windows_of(desktop, process.pid)
    yield from windows


# GTK 4.8's AT-SPI code sometimes refers to an accessible whose D-Bus path is not set yet
# (g_variant_new "(so)" with a NULL path in gtkatspicontext.c) while a window's widgets
# change; seen a few times in runs of the visit tests, at random moments (joining, at
# quit). It is GTK's, logs one critical and nothing else goes wrong; newer GTKs rewrote
# that code. Every other warning or critical still fails a visit test.
KNOWN_GTK_CRITICAL = "g_variant_is_object_path: assertion 'string != NULL' failed"


def app_window(process, name):
    """The application's window (or dialog) named @name: only the top level is looked
    at, which stays quick when the main window's tree is large and the app is slow."""
    for window in app_windows(process):
        try:
            if window.get_name() == name:
                return window
        except GLib.Error:
            continue
    return None


def window_names(process):
    """The names of the application's windows, for a failure message."""
    return [accessible_name(window) or '?' for window in app_windows(process)]


def new_window(process, name, timeout=30):
    """Waits for a window or dialog just opened, named @name, and gives it a moment to
    settle before anyone looks inside (its buttons may join the tree a moment later)."""
    window = wait_for(lambda: app_window(process, name), timeout)
    if window is not None:
        time.sleep(1.0)
    return window


# GTK 4.8 answers the application's GetChildAtIndex (its list of windows) with the
# *last* window it has when the index is past the visible ones, hidden or not; a hidden
# window has no accessibility path, and the reply then crashes the console (the known
# critical, then SIGSEGV in g_variant_builder_add_value; seen in CI on ui-phone). A
# client asks past the end when a window hides between its counting the windows and
# asking for one. So after anything that closes a window, tests wait here, on the X
# server's word, until it is gone, before they look at the application's windows again.
def mapped_windows(name='.'):
    """X ids of the mapped windows whose title matches @name (a POSIX regex)."""
    result = subprocess.run(['xdotool', 'search', '--onlyvisible', '--name', name],
                            capture_output=True, text=True, timeout=10)
    return set(result.stdout.split())


def wait_unmapped(ids, timeout=20):
    """Waits (bounded) until none of the X windows @ids is mapped any more."""
    gone = wait_for(lambda: not (set(ids) & mapped_windows()), timeout)
    time.sleep(0.3)
    return bool(gone)


def window_gone(name, timeout=20):
    """Waits until no window titled @name is mapped; see mapped_windows()."""
    return wait_unmapped(mapped_windows('^%s$' % re.escape(name)), timeout)


# A wait longer than this is noted in the TAP output, with where it was, so
# that a slow UI test shows where its time goes (HCUI_TRACE notes every wait).
SLOW_WAIT = 0.0 if TRACE else 5.0


def wait_for(predicate, timeout=TIMEOUT):
    start = time.monotonic()
    deadline = start + timeout
    tries = 0
    result = None
    while time.monotonic() < deadline:
        tries += 1
        result = predicate()
        if result:
            break
        time.sleep(0.1)
    elapsed = time.monotonic() - start
    if elapsed >= SLOW_WAIT:
        caller = sys._getframe(1)
        print('# waited %.1f s at %s:%d (%d tries, %s)'
              % (elapsed, os.path.basename(caller.f_code.co_filename), caller.f_lineno, tries,
                 'met' if result else 'not met'))
    return result if result else None


def find_all(accessible, role):
    """Every descendant of @accessible with @role, in tree order."""
    found = []
    for child in children(accessible):
        try:
            if child.get_role() == role:
                found.append(child)
        except GLib.Error:
            continue
        found.extend(find_all(child, role))
    return found


def find_in_app(process, role, name=None, pattern=None, showing=False):
    """The first accessible of the application's windows that matches. The
    windows themselves are looked at first: a search for a dialog must not walk
    the main window's large tree before it (8-10 s under the sanitizers)."""
    windows = list(app_windows(process))
    for window in windows:
        if accessible_matches(window, role, name, pattern, showing):
            return window
    for window in windows:
        found = find(window, role, name, pattern, showing)
        if found is not None:
            return found
    return None


def press(accessible):
    """Activate a widget (its first action). The request is delivered even
    when the console is too busy to answer in time: a missing reply is noted,
    not taken as a failure — callers check the effect they expect."""
    if accessible is None:
        return False
    try:
        accessible.get_action_iface().do_action(0)
    except GLib.Error as error:
        if 'Did not receive a reply' not in error.message:
            raise
        print('# no reply in time to the action on %r; checking its effect instead'
              % accessible_name(accessible))
    return True


def accessible_name(accessible):
    try:
        return accessible.get_name()
    except Exception:  # noqa: BLE001
        return None


def xdotool(*args):
    subprocess.run(['xdotool', *args], check=True, capture_output=True)


def focus_window(process, name, timeout=20):
    """Gives @name the keyboard focus (there is no window manager); bounded."""
    def search():
        result = subprocess.run(['xdotool', 'search', '--onlyvisible', '--name', '^%s$' % name],
                                capture_output=True, text=True)
        return result.stdout.split()
    ids = wait_for(search, timeout)
    if ids:
        subprocess.run(['xdotool', 'windowfocus', ids[-1]], capture_output=True, timeout=10)
        time.sleep(0.2)


def screenshot(path):
    time.sleep(0.5)
    subprocess.run(['import', '-window', 'root', path], check=True)
    pixbuf = GdkPixbuf.Pixbuf.new_from_file(path)
    pixels = pixbuf.get_pixels()
    stride, channels = pixbuf.get_rowstride(), pixbuf.get_n_channels()
    colours = set()
    for y in range(0, pixbuf.get_height(), 4):
        for x in range(0, pixbuf.get_width(), 4):
            offset = y * stride + x * channels
            colours.add(bytes(pixels[offset:offset + 3]))
    return len(colours)


def start_housecalld(binary, data_dir, config_text='', listen='127.0.0.1:0'):
    """Starts housecalld with a provider 'doctor' (PASSWORD); returns
    (process, port or None, log text when it failed)."""
    os.makedirs(data_dir, exist_ok=True)
    subprocess.run([binary, '--data-dir', data_dir, 'user', 'add', 'doctor'],
                   input=PASSWORD + '\n', text=True, check=True, capture_output=True,
                   timeout=30)
    config = os.path.join(data_dir, 'housecalld.conf')
    with open(config, 'w') as f:
        f.write(config_text)
    log = open(os.path.join(data_dir, 'housecalld.log'), 'w+')
    process = subprocess.Popen([binary, '--config', config, '--data-dir', data_dir,
                                '--listen', listen],
                               stdout=log, stderr=subprocess.STDOUT)

    def port():
        log.seek(0)
        match = re.search(r'Listening on port (\d+)', log.read())
        return int(match.group(1)) if match else None

    found = wait_for(lambda: port() or (process.poll() is not None and -1), 30)
    if not found or found == -1:
        log.seek(0)
        return process, None, log.read()
    return process, found, ''


def api(url, method, path, data=None, auth=None, form=False):
    headers = {}
    body = None
    if data is not None:
        if form:
            body = urllib.parse.urlencode(data).encode()
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
        else:
            body = json.dumps(data).encode()
            headers['Content-Type'] = 'application/json'
    if auth is not None:
        headers['Authorization'] = auth
    req = urllib.request.Request(url + path, data=body, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=20) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def check_in_patient(url, data_dir, name='Jane Doe', mobile='+14155550123', preflight=None):
    """An appointment for the doctor, and the patient checking in as the
    patient app does."""
    sid = open(os.path.join(data_dir, 'api-key-sid')).read().strip()
    secret = open(os.path.join(data_dir, 'api-key-secret')).read().strip()
    basic = 'Basic ' + base64.b64encode(('%s:%s' % (sid, secret)).encode()).decode()
    start = (datetime.now(timezone.utc) + timedelta(minutes=10)).strftime('%Y-%m-%dT%H:%M:%SZ')
    appointment = api(url, 'POST', '/v1/Appointments',
                      {'patient_name': name, 'mobile': mobile,
                       'start_time': start, 'provider': 'doctor'}, basic, form=True)
    code = appointment['visit_url'].split('/v/')[1]
    api(url, 'POST', '/v1/Visits/%s/CheckIn' % code,
        {'name': name, 'consent': True, 'copay_acknowledged': True,
         'preflight': preflight or {'verdict': 4, 'camera': True, 'microphone': True}})
    login = api(url, 'POST', '/v1/login', {'username': 'doctor', 'password': PASSWORD}, form=True)
    return 'Bearer ' + login['token']


def janus_publishers(port, secret, timeout=10):
    """The number of publishers in every VideoRoom of the Janus on @port (the
    api_secret and admin_key are housecalld's janus-admin-secret); None if Janus
    did not answer."""
    gi.require_version('Soup', '3.0')
    from gi.repository import Soup

    context = GLib.MainContext.default()
    state = {'conn': None, 'replies': [], 'error': None}
    session = Soup.Session()
    message = Soup.Message.new('GET', 'ws://127.0.0.1:%d/' % port)

    def connected(source, result):
        try:
            state['conn'] = source.websocket_connect_finish(result)
            state['conn'].connect('message',
                                  lambda c, kind, data: state['replies'].append(
                                      json.loads(data.get_data().decode())))
        except GLib.Error as error:
            state['error'] = error.message

    session.websocket_connect_async(message, None, ['janus-protocol'], GLib.PRIORITY_DEFAULT,
                                    None, connected)
    deadline = time.monotonic() + timeout

    def pump(until):
        while not until() and time.monotonic() < deadline and state['error'] is None:
            context.iteration(False)
            time.sleep(0.01)
        return until()

    if not pump(lambda: state['conn'] is not None):
        return None

    def request(body):
        transaction = 'hc%d' % len(state['replies'])
        body = dict(body, transaction=transaction, apisecret=secret)
        state['conn'].send_text(json.dumps(body))
        found = pump(lambda: any(r.get('transaction') == transaction and r.get('janus') != 'ack'
                                 for r in state['replies']))
        if not found:
            return None
        return next(r for r in state['replies']
                    if r.get('transaction') == transaction and r.get('janus') != 'ack')

    created = request({'janus': 'create'})
    if not created or 'data' not in created:
        return None
    session_id = created['data']['id']
    attached = request({'janus': 'attach', 'session_id': session_id,
                        'plugin': 'janus.plugin.videoroom'})
    if not attached or 'data' not in attached:
        return None
    listed = request({'janus': 'message', 'session_id': session_id,
                      'handle_id': attached['data']['id'],
                      'body': {'request': 'list', 'admin_key': secret}})
    request({'janus': 'destroy', 'session_id': session_id})
    state['conn'].close(1000, None)
    try:
        rooms = listed['plugindata']['data']['list']
    except (KeyError, TypeError):
        return None
    return sum(room.get('num_participants', 0) for room in rooms)


class Peer:
    """The patient's Chromium, through peer-cli.mjs: one JSON line per command."""

    def __init__(self, args, log_path):
        self.log = open(log_path, 'w')
        self.process = subprocess.Popen(['node', PEER, *args], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.log, text=True,
                                        bufsize=1)
        self.lines = []
        self.lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.lines.append(message)
                self.lock.notify_all()

    def next_event(self, names, timeout):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for i, message in enumerate(self.lines):
                    if message.get('event') in names:
                        return self.lines.pop(i)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None:
                    return None
                self.lock.wait(remaining)

    def ask(self, command, answer, timeout=30):
        if self.process.poll() is not None:
            return None
        self.process.stdin.write(command + '\n')
        self.process.stdin.flush()
        return self.next_event([answer, 'error'], timeout)

    def snapshot(self):
        return self.ask('snapshot', 'snapshot')

    def stop(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.write('quit\n')
                self.process.stdin.flush()
                self.process.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


def write_tone(path, seconds=6, hz=440, amplitude=0.4):
    """A steady tone for Chromium's fake microphone: a speaker Janus can hear."""
    rate = 48000
    with wave.open(path, 'wb') as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b''.join(struct.pack('<h', int(amplitude * 32767 *
                                                        math.sin(2 * math.pi * hz * i / rate)))
                                 for i in range(rate * seconds)))


class Visit:
    """What a visit test needs: housecalld (with Janus gathering on the test's
    namespace interface), the real console signed in as 'doctor', and patients
    in Chromium (peer-cli.mjs). Everything lives in one scratch directory."""

    JANUS_WS_PORT = 18188

    def __init__(self, console, housecalld, prefix, console_g_debug=None):
        import tempfile
        self.console_binary = console
        self.housecalld = housecalld
        self.console_g_debug = console_g_debug
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.data_dir = os.path.join(self.work, 'data')
        self.server = self.process = self.console_log = None
        self.url = None
        self.peers = []

    def start_server(self, extra_config=''):
        """Returns '' when housecalld listens, else its log."""
        self.server, port, log = start_housecalld(
            self.housecalld, self.data_dir,
            '[janus]\nws-port = %d\nice-enforce-list = %s\n%s' %
            (self.JANUS_WS_PORT, os.environ['HC_NETNS_ICE_INTERFACE'], extra_config))
        if port is None:
            return log or 'housecalld did not start'
        self.url = 'http://127.0.0.1:%d' % port
        return ''

    def janus_publishers(self):
        secret = open(os.path.join(self.data_dir, 'janus-admin-secret')).read().strip()
        return janus_publishers(self.JANUS_WS_PORT, secret)

    def start_console(self, settings='', env_extra=None):
        """Starts the console with the server and user preset, a generated
        picture and tone (there is no camera here), plus @settings (keyfile lines)."""
        settings_dir = os.path.join(self.work, 'config', 'glib-2.0', 'settings')
        os.makedirs(settings_dir, exist_ok=True)
        with open(os.path.join(settings_dir, 'keyfile'), 'w') as keyfile:
            keyfile.write("[org/housecall/Console]\nserver-url='%s'\nusername='doctor'\n"
                          "capture-profile='test-pattern-360p'\n%s" % (self.url, settings))
        env = dict(os.environ)
        env['GSETTINGS_BACKEND'] = 'keyfile'
        env['XDG_CONFIG_HOME'] = os.path.join(self.work, 'config')
        if self.console_g_debug is not None:
            # Warnings and criticals are not made fatal here but read from the log when
            # the visit closes (check_log()): all fail the test, except one that is
            # GTK 4.8's own (KNOWN_GTK_CRITICAL), which a fatal flag would turn into a crash.
            flags = [f for f in self.console_g_debug.split(',')
                     if f not in ('fatal-warnings', 'fatal-criticals')]
            env['G_DEBUG'] = ','.join(flags)
        env.update(env_extra or {})
        self.console_log = open(os.path.join(self.work, 'console.log'), 'w+')
        self.process = subprocess.Popen([self.console_binary], env=env, stdout=self.console_log,
                                        stderr=subprocess.STDOUT)
        return self.process

    def sign_in(self):
        """Types the password on the sign-in page, as a person would."""
        if not wait_for(lambda: find_in_app(self.process, Atspi.Role.PUSH_BUTTON, 'Sign In')):
            return None
        focus_window(self.process, 'Housecall')
        xdotool('type', '--delay', '20', PASSWORD)
        xdotool('key', 'Return')
        return wait_for(lambda: find_in_app(self.process, Atspi.Role.LABEL,
                                            'Signed in as doctor'), 30)

    def console_output(self):
        if self.console_log is None:
            return ''
        self.console_log.seek(0)
        return 'console exit status %r\n%s' % (self.process.poll(), self.console_log.read()[-6000:])

    def tree(self):
        return '\n'.join(line for w in app_windows(self.process) for line in describe_tree(w))

    def book(self, name, mobile='+14155550123'):
        """An appointment with the doctor in five minutes; returns its visit code."""
        sid = open(os.path.join(self.data_dir, 'api-key-sid')).read().strip()
        key = open(os.path.join(self.data_dir, 'api-key-secret')).read().strip()
        basic = 'Basic ' + base64.b64encode(('%s:%s' % (sid, key)).encode()).decode()
        start = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime('%Y-%m-%dT%H:%M:%SZ')
        appointment = api(self.url, 'POST', '/v1/Appointments',
                          {'patient_name': name, 'mobile': mobile, 'start_time': start,
                           'provider': 'doctor'}, basic, form=True)
        return appointment['visit_url'].split('/v/')[1]

    def patient(self, name, phone=False):
        """A patient in Chromium clicking through the visit link to the waiting
        room, with a steady tone for a microphone; returns (peer, first event)."""
        code = self.book(name)
        tone = os.path.join(self.work, 'tone.wav')
        if not os.path.exists(tone):
            write_tone(tone)
        log = os.path.join(self.work, 'peer-%d.log' % len(self.peers))
        peer = Peer(['--origin', self.url, '--data-dir', self.data_dir, '--visit', code,
                     '--name', name, '--tone', tone] + (['--phone'] if phone else []), log)
        self.peers.append(peer)
        event = peer.next_event(['waiting', 'failed'], 120)
        if event is None or event.get('event') != 'waiting':
            event = dict(event or {}, log=open(log).read()[-3000:])
        return peer, event

    def guest(self, link, identity):
        """A guest in Chromium opening the invitation @link; returns the peer
        (its first event says whether it joined)."""
        log = os.path.join(self.work, 'peer-%d.log' % len(self.peers))
        peer = Peer(['--origin', self.url, '--data-dir', self.data_dir, '--link', link,
                     '--identity', identity], log)
        self.peers.append(peer)
        return peer

    def check_log(self):
        """The console's warnings and criticals (GLib's, GTK's, ours), less the known
        GTK 4.8 one; each is printed. Returns how many there were."""
        if self.console_log is None:
            return 0
        self.console_log.seek(0)
        bad = 0
        for line in self.console_log.read().splitlines():
            if not re.search(r'-(WARNING|CRITICAL) \*\*', line):
                continue
            if KNOWN_GTK_CRITICAL in line:
                print('# tolerated (GTK 4.8 accessibility bug): ' + line)
                continue
            print('# console: ' + line)
            bad += 1
        return bad

    def close(self):
        """Stops everything; returns 1 if the console died badly or logged a warning
        or a critical (and says why)."""
        import shutil
        died = 0
        if self.process is not None and self.process.poll() not in (None, 0):
            for line in self.console_output().splitlines():
                print('# console: ' + line)
            died = 1
        if self.console_g_debug is not None and self.check_log():
            died = 1
        for peer in self.peers:
            peer.stop()
        for p in (self.process, self.server):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if (failures or died) and os.environ.get('HC_KEEP_DATA'):
            print('# kept %s' % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)
        return died
