"""The content's formats as commands: ``leaflets upgrade`` and ``leaflets schema`` (registered by cli.py;
a module of governance/, the stage before cli, so that cli.py stays a thin layer).

Like cli.py's, each command imports what it needs when it runs (the schema generator, ruamel.yaml).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from leaflets.errors import LeafletErrors, UsageError
from leaflets.model.formats import CURRENT_FORMAT, FORMATS, KINDS
from leaflets.model.project import Project
from leaflets.paths import display_path

CONTENT_FOLDERS = ("procedures", "blocks", "clinics")


def add_format_commands(commands: Any) -> None:
    """Add ``upgrade`` and ``schema`` to the command line's subcommands."""
    upgrade = commands.add_parser("upgrade", help=f"rewrite records, blocks and clinic files of an earlier format in "
                                  f"format {CURRENT_FORMAT}, in place, keeping comments and layout")
    upgrade.add_argument("files", nargs="*", metavar="FILE",
                         help="the files to upgrade (default: every record, block and clinic file of the project)")
    upgrade.add_argument("--check", action="store_true",
                         help="only say what would change; exit 1 if any file needs upgrading")
    upgrade.set_defaults(command=run_upgrade)
    schema = commands.add_parser("schema", help="print the JSON Schema of a record, block or clinic file, for editors")
    schema.add_argument("--kind", choices=KINDS, default="procedure", help="which kind of file (default: procedure)")
    schema.add_argument("--format", type=int, choices=FORMATS, default=CURRENT_FORMAT,
                        help=f"the format (default: {CURRENT_FORMAT}, the current one)")
    schema.add_argument("--write", action="store_true", help="write every schema into schema/ of the project instead")
    schema.set_defaults(command=run_schema)


def run_upgrade(project: Project, args: argparse.Namespace) -> int:
    try:
        from leaflets.model.upgrade import upgrade_paths  # needs ruamel.yaml, which nothing else does
    except ImportError as exc:
        raise UsageError(f"leaflets upgrade needs the ruamel.yaml package ({exc}); install it with pip") from None
    paths = [Path(name) for name in args.files] or [
        path for folder in CONTENT_FOLDERS for path in sorted((project.content / folder).glob("*.yaml"))]
    report, needed, errors = upgrade_paths(paths, check=args.check, named=bool(args.files))
    print("\n".join(report))
    if errors:
        raise LeafletErrors(errors)
    return 1 if args.check and needed else 0


def run_schema(project: Project, args: argparse.Namespace) -> int:
    from leaflets.model.schema import schema_text, write_schemas

    if args.write:
        for path in write_schemas(project.root):
            print(display_path(path))
        return 0
    sys.stdout.write(schema_text(args.kind, args.format))
    return 0
