"""The package reads as its pipeline: stage subpackages in order, data flowing one way."""

import ast
from pathlib import Path

import leaflets

PACKAGE = Path(leaflets.__file__).resolve().parent
# Each stage may import from the stages before it, never after; the top-level helpers come first.
STAGES = ["errors", "paths", "model", "language", "render", "checks", "build", "governance", "web", "cli"]
FOUNDATIONS = {"leaflets", "errors", "paths"}  # leaflets itself holds only __version__
MAX_LINES = 500


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "leaflets"


def _imports(path: Path) -> set[str]:
    """Every leaflets module this file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "leaflets":
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "leaflets")
    return found


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def test_every_import_points_to_the_same_or_an_earlier_stage():
    backwards = []
    for module, path in _modules().items():
        stage = _stage(module)
        if stage in FOUNDATIONS or module == "leaflets.__main__":
            continue
        for imported in _imports(path):
            target = _stage(imported)
            if target not in FOUNDATIONS and STAGES.index(target) > STAGES.index(stage):
                backwards.append(f"{module} imports {imported}")
    assert backwards == []


def test_no_module_imports_itself_back_through_others():
    graph = {module: {name for name in _imports(path) if name in _modules()} for module, path in _modules().items()}
    circles = []

    def visit(module: str, trail: list[str]) -> None:
        for imported in graph.get(module, ()):
            if imported == trail[0]:
                circles.append(" -> ".join([*trail, imported]))
            elif imported not in trail and len(trail) < 12:
                visit(imported, [*trail, imported])

    for module in graph:
        visit(module, [module])
    assert circles == []


def test_no_module_is_longer_than_five_hundred_lines():
    long = {module: len(path.read_text(encoding="utf-8").splitlines()) for module, path in _modules().items()}
    assert {module: lines for module, lines in long.items() if lines > MAX_LINES} == {}


def test_every_stage_is_a_documented_subpackage():
    for stage in STAGES:
        if stage in {"errors", "paths", "cli"}:
            assert (PACKAGE / f"{stage}.py").is_file()
        else:
            init = PACKAGE / stage / "__init__.py"
            assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{stage}/ says what it is for"
