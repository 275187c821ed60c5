#!/usr/bin/env bash
# Move requirements.lock to the newest releases that pyproject.toml allows, on purpose:
#   scripts/refresh-lock.sh            # every package to its newest release
#   scripts/refresh-lock.sh babel      # only these packages
# It writes the new lock with pip-tools (pip-compile --generate-hashes), shows which versions
# changed, installs the new lock into .venv and runs the whole suite on it. Commit the lock only
# when the suite passes; `git checkout requirements.lock && scripts/setup.sh` goes back.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/python" -m pip install -q --disable-pip-version-check "pip-tools==7.6.2" 2> >(grep -v "^WARNING: Location" >&2)

upgrade=(--upgrade)
if (($#)); then upgrade=(); for package in "$@"; do upgrade+=(--upgrade-package "$package"); done; fi
cp requirements.lock "$tools/before.lock"
"$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --extra test --strip-extras \
  --no-emit-index-url --no-emit-find-links "${upgrade[@]}" -o requirements.lock pyproject.toml 2> >(grep -v "^WARNING: Location" >&2)

pins() { sed -nE 's/^([A-Za-z0-9_.-]+)==([^ ]+).*/\1=\2/p' "$1" | sort; }
echo "refresh-lock: what changed (before -> after)"
join -a1 -a2 -e '(none)' -o 0,1.2,2.2 -t= <(pins "$tools/before.lock") <(pins requirements.lock) \
  | awk -F= '$2 != $3 { printf "  %-24s %s -> %s\n", $1, $2, $3; changed=1 } END { if (!changed) print "  nothing" }'

echo "refresh-lock: installing the new lock and running the linters and the suite"
scripts/setup.sh
scripts/test.sh -q
