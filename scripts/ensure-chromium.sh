#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through playwright-core (no browser download). Installs it
# when it is missing and we may (root with apt-get); otherwise says exactly what to do.
set -euo pipefail
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$chromium" ] && exit 0
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "accord: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable; point it at a Chromium or unset it" >&2; exit 1
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "accord: installing Debian's chromium for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq chromium >&2 \
    || { echo "accord: apt-get could not install chromium; install it (apt-get install chromium) or set CHROMIUM_PATH" >&2; exit 1; }
  exit 0
fi
echo "accord: the browser tests need Chromium at $chromium. Install it (as root: apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary." >&2
exit 1
