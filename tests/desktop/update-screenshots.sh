#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# usage: tests/desktop/update-screenshots.sh BUILD-DIR
#
# Copies the window screenshots the UI tests took (meson test -C BUILD-DIR
# ui-main-window ui-admin) into data/screenshots/, the pictures the AppStream
# metainfo shows. Run it after a change to how the console looks, look at
# the pictures, and commit them; tests/check-metainfo.py checks that each
# one the metainfo names is there, at the size it says.
set -eu

build=${1:?usage: update-screenshots.sh BUILD-DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/data/screenshots"
shots="$build/tests/desktop"

copy () {
  if [ ! -s "$shots/$1" ]; then
    echo "missing $shots/$1: run meson test -C $build ui-main-window ui-admin first" >&2
    exit 1
  fi
  cp "$shots/$1" "$out/$2"
  echo "$out/$2"
}

mkdir -p "$out"
copy ui-main-window/main-window.png main-window.png
copy ui-main-window/main-window-dark.png main-window-dark.png
copy ui-admin/override-sign-in.png sign-in.png
copy ui-admin/locked-preferences.png preferences-locked.png
