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
# Two workers (pytest-xdist), a test file to each at a time: the module fixtures (a browser, a server,
# a Dask cluster) start once, and one file's waits overlap the other's work. The files go out in the order
# tests/conftest.py gives them (the longest first), not xdist's own (the most tests first), so the two
# workers end together.
.venv/bin/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder "$@" || failed+=(pytest)

if ((${#failed[@]})); then
  echo "test: failed: ${failed[*]}" >&2
  exit 1
fi
