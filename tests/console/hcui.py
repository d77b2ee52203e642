# SPDX-License-Identifier: GPL-3.0-or-later
#
# What the console's UI tests share: TAP reporting, finding widgets in the
# accessibility tree, waiting (always bounded), the keyboard through xdotool,
# screenshots, and a real housecalld to talk to.

import base64
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
import urllib.parse
import urllib.request

import gi

gi.require_version('Atspi', '2.0')
gi.require_version('GdkPixbuf', '2.0')
from gi.repository import Atspi, GdkPixbuf, GLib  # noqa: E402

TIMEOUT = 60.0
PASSWORD = 'a long and good password'

number = 0
failures = 0


def report(passed, description, diagnostics=''):
    global number, failures
    number += 1
    if not passed:
        failures += 1
    print('%s %d - %s' % ('ok' if passed else 'not ok', number, description))
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
    for child in children(accessible):
        try:
            child_role = child.get_role()
            child_name = child.get_name()
        except GLib.Error:
            continue
        if (role is None or child_role == role) and (name is None or child_name == name) and \
           (pattern is None or re.search(pattern, child_name or '')) and \
           (not showing or is_showing(child)):
            return child
        found = find(child, role, name, pattern, showing)
        if found is not None:
            return found
    return None


def describe_tree(accessible, depth=0):
    try:
        lines = ['%s%s %r' % ('  ' * depth, accessible.get_role_name(), accessible.get_name())]
    except GLib.Error:
        return []
    for child in children(accessible):
        lines.extend(describe_tree(child, depth + 1))
    return lines


def app_windows(process):
    desktop = Atspi.get_desktop(0)
    for app in children(desktop):
        try:
            if app.get_process_id() != process.pid:
                continue
        except GLib.Error:
            continue
        yield from children(app)


def wait_for(predicate, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    return None


def find_in_app(process, role, name=None, pattern=None, showing=False):
    for window in app_windows(process):
        try:
            if (role is None or window.get_role() == role) and \
               (name is None or window.get_name() == name) and \
               (pattern is None or re.search(pattern, window.get_name() or '')):
                return window
        except GLib.Error:
            continue
        found = find(window, role, name, pattern, showing)
        if found is not None:
            return found
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
