"""The README opens with the two commands, and CI runs the second one as written."""

from __future__ import annotations

import re

from conftest import REPO


def readme_commands() -> list[str]:
    first_block = re.search(r"```sh\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)
    assert first_block is not None
    return first_block.group(1).strip().splitlines()


def test_the_readme_opens_with_exactly_two_commands():
    build, test = readme_commands()
    assert build.endswith("leaflets build --all --clinic example")
    assert test.endswith("scripts/test.sh")


def test_ci_runs_the_readme_test_command():
    assert readme_commands()[1] in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
