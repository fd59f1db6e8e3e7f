#!/usr/bin/env bash
# Makes sure Debian's Chromium and chromedriver are there for the console's browser test
# (crates/server/tests/console): installs the `chromium` and `chromium-driver` packages when
# they are missing and this runs as root with apt-get; otherwise says why the browser test
# will be skipped. Never fails the run: the test itself prints SKIPPED without a browser.
# Environment: ASSOCD_CHROMIUM, ASSOCD_CHROMEDRIVER (other binaries than Debian's paths).
set -uo pipefail

log() { printf 'ensure-chromium: %s\n' "$*" >&2; }

chromium="${ASSOCD_CHROMIUM:-/usr/bin/chromium}"
driver="${ASSOCD_CHROMEDRIVER:-/usr/bin/chromedriver}"

if [[ -x "$chromium" && -x "$driver" ]]; then
  log "found $("$chromium" --version 2>/dev/null | head -1) and $driver"
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  log "Chromium or chromedriver missing and not root with apt-get: the console browser test will be SKIPPED"
  exit 0
fi
log "installing Debian's chromium and chromium-driver"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq >&2 && apt-get install -y -qq chromium chromium-driver >&2; }; then
  log "installing failed: the console browser test will be SKIPPED"
  exit 0
fi
log "installed $("$chromium" --version 2>/dev/null | head -1)"
