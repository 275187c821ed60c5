#!/usr/bin/env bash
# The README's test command (CI runs it too, in .ci/run): the linters, then the whole suite.
#   scripts/test.sh                      # ruff, mypy, then every test
#   scripts/test.sh tests/test_cli.py    # arguments go to pytest
# Each step runs even when one before it failed, so one run shows every problem; the script fails
# when any step does (pytest's exit code 5, "no tests ran", included).
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
.venv/bin/ruff check src tests benchmarks scripts || failed+=(ruff)
.venv/bin/mypy || failed+=(mypy)
.venv/bin/python -m pytest "$@" || failed+=(pytest)

if ((${#failed[@]})); then
  echo "test: failed: ${failed[*]}" >&2
  exit 1
fi
