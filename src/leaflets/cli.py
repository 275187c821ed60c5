"""The ``leaflets`` command: a thin layer over the functions of the other modules.

Only expected errors (``LeafletError``) are caught and printed as one line each;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leaflets import __version__
from leaflets.build.options import BUILD_OPTIONS
from leaflets.errors import LeafletError, UsageError
from leaflets.governance.formats import add_format_commands
from leaflets.model.addresses import check_host, check_port
from leaflets.model.project import Project, RecordSummary
from leaflets.paths import display_path
from leaflets.render.details import PatientDetails

if TYPE_CHECKING:
    from leaflets.build.batch import BatchReport

# Each command imports what it needs when it runs: the parser needs only the build options and
# the patient details' help, so ``leaflets which`` or ``--help`` never loads the checks or the
# batch pool, and WeasyPrint loads only for a command that renders.


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if any(_not_utf8(argument) for argument in arguments):
        print("leaflets: an argument is not valid UTF-8 text; check the terminal's or script's encoding", file=sys.stderr)
        return 2
    parser = make_parser()
    args = parser.parse_args(arguments)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    logging.getLogger("babel").propagate = False  # Babel's commands print through their own handler
    project = Project(Path(args.root))
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        if not getattr(args, "pdf", None) and not project.content.is_dir():  # check --pdf needs no project
            raise UsageError(f"{project.content}: no such folder; run leaflets in a project folder, or give --root DIR")
        code: int = args.command(project, args)
        return code
    except LeafletError as exc:
        return _print_errors(exc.errors)
    except KeyboardInterrupt:
        print("leaflets: interrupted; nothing half-written was left behind", file=sys.stderr)
        return 128 + signal.SIGINT
    except Terminated:
        print("leaflets: stopped (SIGTERM); nothing half-written was left behind", file=sys.stderr)
        return 128 + signal.SIGTERM
    except BrokenPipeError:  # the reader went away (| head): nothing more to say, and no one to say it to
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _not_utf8(argument: str) -> bool:
    """Python keeps bytes it could not decode as lone surrogates; they cannot be printed or written."""
    try:
        argument.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so every clean-up on the way out runs."""


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


CLINIC = BUILD_OPTIONS["clinic"].default


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leaflets", description="Patient-education leaflets from YAML records.")
    parser.add_argument("--version", action="version", version=f"leaflets {__version__}")
    parser.add_argument("--root", default=".",
                        help="the project folder holding content/, templates/ and locales/ (default: .)")
    parser.add_argument("-v", "--verbose", action="store_true", help="say more about what is happening")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    add_format_commands(commands)  # upgrade, schema (governance/formats.py)

    listing = commands.add_parser("list", help="list every procedure: id, title, code, status, review due")
    listing.add_argument("--clinic", default=CLINIC, help="the clinic whose templates decide what approved leaflets print")
    listing.set_defaults(command=run_list)
    _add_build(commands)
    _add_check_and_serve(commands)
    _add_review_and_approve(commands)
    _add_i18n(commands)
    return parser


def _add_build(commands: Any) -> None:
    build = commands.add_parser("build", help="build one leaflet, or all of a clinic's with --all")
    build.add_argument("procedure", nargs="*", help="the procedure id (see 'leaflets list'); several with --packet")
    build.add_argument("--all", action="store_true", help="build every procedure in every language of the clinic")
    build.add_argument("--jobs", type=int, default=None, help="with --all: worker processes (default: all cores)")
    build.add_argument("--force", action="store_true", help="with --all: rebuild even unchanged leaflets")
    build.add_argument("--scheduler", metavar="ADDRESS", default=os.environ.get("LEAFLETS_SCHEDULER") or None,
                       help="with --all: render on the Dask cluster of this scheduler (such as tcp://10.0.0.5:8786) "
                            "instead of local processes (default: $LEAFLETS_SCHEDULER)")
    for name, option in BUILD_OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(option.default, bool):
            build.add_argument(flag, action="store_true", help=option.help)
        else:
            build.add_argument(flag, default=option.default, help=f"{option.help} (default: {option.default})")
    build.add_argument("--packet", action="store_true",
                       help="several procedures in one PDF, each from a new page with its own page numbers; "
                            "needs --output")
    build.add_argument("--with-english", action="store_true",
                       help="each leaflet followed by its English leaflet, in one PDF; needs --output")
    build.add_argument("--output", help="where to write the PDF; - for standard output (default: dist/CLINIC/LANG/ID.pdf)")
    personal = build.add_argument_group("patient details (printed in the 'For you' box; needs --output)")
    for name, text in PatientDetails.helps().items():
        personal.add_argument("--" + name.replace("_", "-"), help=text)
    personal.add_argument("--details", metavar="FILE", help="the details as a JSON object (keys: "
                          + ", ".join(PatientDetails.helps()) + "); - reads standard input, so they stay out of "
                          "the process list and the shell's history")
    build.set_defaults(command=run_build)


def _add_check_and_serve(commands: Any) -> None:
    check = commands.add_parser(
        "check", help="validate records and clinic files; check plain language, structure and review dates; or built PDFs"
    )
    check.add_argument("--clinic", default=CLINIC, help="the clinic whose languages and reading level are used")
    check.add_argument("--strict", action="store_true", help="fail on any warning, not only on errors")
    check.add_argument("--pdf", nargs="+", metavar="PATH", help="check built PDFs for accessibility (PDF/UA-1) instead")
    check.set_defaults(command=run_check)

    serve = commands.add_parser("serve", help="the clinicians' web page: find, personalise, print")
    serve.add_argument("--clinic", default=CLINIC, help="the clinic to serve")
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default: 127.0.0.1, this computer only)")
    serve.add_argument("--allow-network", action="store_true",
                       help="allow a --host other computers can reach; the page has no login of its own")
    serve.add_argument("--port", default="8000", help="the port, 1 to 65535 (default: 8000)")
    serve.set_defaults(command=run_serve)


def _add_review_and_approve(commands: Any) -> None:
    review = commands.add_parser("review", help="a leaflet's printed text, with what changed since it was last approved")
    review.add_argument("procedure", help="the procedure id (see 'leaflets list')")
    review.add_argument("--lang", default="en",
                        help="the language (default: en); a translation shows each change beside its English")
    review.add_argument("--since", metavar="VERSION",
                        help="compare with this approved version (default: the newest approval)")
    review.add_argument("--html", metavar="FILE", help="also write the review as a page to read and print")
    review.add_argument("--clinic", default=CLINIC, help="the clinic whose templates are used")
    review.set_defaults(command=run_review)

    approve = commands.add_parser("approve", help="approve what a leaflet prints now (a translator's sign-off with --lang)")
    approve.add_argument("procedure", help="the procedure id")
    approve.add_argument("--by", help="who approves, by name (printed in the leaflet's footer)")
    approve.add_argument("--role", help="their role, such as 'Consultant nephrologist' or 'Medical translator'")
    approve.add_argument("--lang", default="en",
                         help="en (default) for the clinician's approval; another language for its translator's sign-off")
    approve.add_argument("--clinic", default=CLINIC, help="the clinic whose leaflet is checked before approval")
    approve.set_defaults(command=run_approve)

    which = commands.add_parser("which", help="which approved release a patient's copy is, from the 8 characters on its pages")
    which.add_argument("code", help="the 8 characters printed at the foot of every page")
    which.set_defaults(command=run_which)


def _add_i18n(commands: Any) -> None:
    i18n = commands.add_parser("i18n", help="the translation workflow: extract, update, init, compile, status")
    steps = i18n.add_subparsers(title="steps", required=True, metavar="STEP")
    for step, text in (
        ("extract", "write locales/messages.pot from the templates, the code and every record"),
        ("compile", "compile every catalog to a .mo file"),
    ):
        steps.add_parser(step, help=text).set_defaults(command=run_i18n, step=step, lang=None)
    update = steps.add_parser("update", help="merge messages.pot into every catalog (changed strings become fuzzy)")
    update.add_argument("--plural-forms", action="store_true",
                        help="also give every catalog CLDR's current Plural-Forms rule, keeping each number's words")
    update.set_defaults(command=run_i18n_update, step="update", lang=None)
    init = steps.add_parser("init", help="start a catalog for a new language")
    init.add_argument("lang", help="the language code, such as es or zh_Hans")
    init.set_defaults(command=run_i18n, step="init")
    status = steps.add_parser("status", help="a table of procedures by language: complete, or what is missing")
    status.set_defaults(command=run_i18n_status)
    checking = steps.add_parser("check", help="check every catalog as a build loads it (msgfmt, placeholders, "
                                              "encoding, plural forms), without building")
    checking.set_defaults(command=run_i18n_check)


def run_list(project: Project, args: argparse.Namespace) -> int:
    summaries, errors = project.record_summaries()
    rows = [["ID", "TITLE", "CODE", "STATUS", "REVIEW DUE"]]
    for summary in summaries:
        codes = "; ".join(f"{system.upper()} {', '.join(values)}" for system, values in summary.codes.items())
        try:
            status = _approval_status(project, summary, args.clinic)
        except LeafletError as exc:  # a broken approvals file or template: said below, the others listed
            errors += exc.errors
            status = "unknown"
        status += " (out of date)" if summary.is_out_of_date() else ""
        rows.append([summary.id, summary.title, codes, status, summary.review_due.isoformat()])
    _print_table(rows)
    return _print_errors(errors)


def _approval_status(project: Project, summary: RecordSummary, clinic_id: str) -> str:
    """The record's own ``review.status`` when it has no approvals; else what its leaflet prints now
    (which needs the whole record and its template: loaded only for approved records)."""
    from leaflets.model.approvals import read_approvals

    if not read_approvals(project, summary.id):
        return summary.status
    from leaflets.governance.review import approval_state

    return approval_state(project, project.load_procedure(summary.id), clinic_id)


def _print_errors(errors: list[LeafletError]) -> int:
    """Each problem on a line of its own; 1 if there was any."""
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


def run_build(project: Project, args: argparse.Namespace) -> int:
    if args.all:
        return _build_all(project, args)
    from leaflets.build.leaflet import build_one, build_packet

    if not args.procedure:
        raise UsageError("name a procedure to build (see 'leaflets list'), or use --all")
    if len(args.procedure) > 1 and not args.packet:
        raise UsageError("to put several procedures in one PDF, add --packet (and --output)")
    if args.packet or args.with_english:
        target, data = build_packet(
            project, args.procedure, args.output, clinic=args.clinic, lang=args.lang, large_print=args.large_print,
            personal=_personal(project, args), with_english=args.with_english,
        )
    else:
        target, data = build_one(
            project, args.procedure[0], clinic=args.clinic, lang=args.lang, large_print=args.large_print,
            personal=_personal(project, args), output=args.output,
        )
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        print(target)
    return 0


def _build_all(project: Project, args: argparse.Namespace) -> int:
    from leaflets.build.batch import build_clinic, progress_printer

    singles = args.procedure or args.packet or args.with_english or args.output
    if singles or _personal(project, args) or args.lang != BUILD_OPTIONS["lang"].default:
        raise UsageError("--all builds every leaflet of the clinic into dist/; "
                         "it takes no procedure, --lang, --output or patient details")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    if args.scheduler and args.jobs is not None:
        raise UsageError("--jobs sets the local worker processes; with --scheduler the Dask cluster's workers render")
    return _report(build_clinic(project, args.clinic, jobs=args.jobs, force=args.force, progress=progress_printer(),
                                scheduler=args.scheduler))


def _report(report: BatchReport) -> int:
    for path in report.built:
        print(path)
    for problem in report.repaired + report.refused + report.failed:
        print(problem, file=sys.stderr)
    repaired = f"repaired {len(report.repaired)}, " if report.repaired else ""
    print(
        f"built {len(report.built)}, unchanged {len(report.unchanged)}, {repaired}refused {len(report.refused)}, "
        f"failed {len(report.failed)} in {report.seconds:.1f} s",
        file=sys.stderr,
    )
    return 0 if report.ok else 1


def _personal(project: Project, args: argparse.Namespace) -> PatientDetails:
    """The 'For you' details. Error messages name the option, never the value."""
    from leaflets.render.details import PersonalError, parse_personal

    try:
        typed = {name: getattr(args, name) for name in PatientDetails.helps()}
        if args.details is not None:
            typed = _details_file(args.details, typed)
        return parse_personal(typed, project.fonts)
    except PersonalError as exc:
        option = "--" + exc.field.replace("_", "-")
        raise UsageError({
            "too_long": f"{option} is too long (at most {exc.limit} characters)",
            "lines": f"{option} has too many lines (at most {exc.limit})",
            "control": f"{option} holds a character that would hide, reorder or cut the printed text "
                       "(a control, bidi or invisible formatting character, a line break, or a pile of marks)",
            "glyph": f"{option} holds letters no font shipped with leaflets can print ({exc.scripts}); "
                     "they would print as empty boxes",
            "datetime": f'{option} is not a valid date and time; write it as "YYYY-MM-DD HH:MM"',
        }[exc.problem]) from None


MAX_DETAILS_BYTES = 16 * 1024


def _details_file(source: str, typed: dict[str, str | None]) -> dict[str, str | None]:
    """--details: a JSON object of patient details, from a file or standard input. Errors never quote it."""
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_DETAILS_BYTES + 1)
        else:
            with open(source, "rb") as stream:
                raw = stream.read(MAX_DETAILS_BYTES + 1)
        data = json.loads(raw.decode("utf-8")) if len(raw) <= MAX_DETAILS_BYTES else None
    except OSError as exc:
        raise UsageError(f"--details: cannot read {source}: {exc.strerror}") from None
    except (UnicodeDecodeError, ValueError):
        raise UsageError("--details: not a JSON object in UTF-8 text") from None
    texts = isinstance(data, dict) and all(isinstance(value, (str, type(None))) for value in data.values())
    if not isinstance(data, dict) or not texts or not set(data) <= set(typed):
        raise UsageError(f"--details: expected a JSON object of text with only these keys: {', '.join(typed)}")
    if any(typed[name] is not None for name in data):
        raise UsageError("--details: a detail is given both there and as an option; give each once")
    return typed | data


def run_review(project: Project, args: argparse.Namespace) -> int:
    from leaflets.build.files import write_atomically
    from leaflets.governance.review import as_html, as_terminal, make_review

    review = make_review(project, args.procedure, args.lang, args.clinic, args.since)
    if args.html:
        target = Path(args.html)
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise UsageError("--html must name a file to create or replace, not a link, folder or device")
        write_atomically(target, as_html(review).encode("utf-8"))
    sys.stdout.write(as_terminal(review, colour=sys.stdout.isatty()))
    return 0


def run_approve(project: Project, args: argparse.Namespace) -> int:
    from leaflets.governance.review import approve

    approval, before = approve(project, args.procedure, args.by, args.role, args.lang, args.clinic)
    kind = "approved" if approval.lang == "en" else f"translation [{approval.lang}] signed off"
    print(f"{args.procedure}: {kind} as version {approval.version} by {approval.by} ({approval.role}) on "
          f"{approval.date.isoformat()}, code {approval.code}; build it to release it")
    if approval.lang != "en" and not before.approved:
        print(f"{args.procedure}: its English is not approved yet, so it still prints DRAFT until a clinician approves it",
              file=sys.stderr)
    return 0


def run_which(project: Project, args: argparse.Namespace) -> int:
    from leaflets.build.archive import which

    found = which(project, args.code)
    for line in found.lines:
        print(line)
    if not found.lines and not found.problems:
        print(f"leaflets: no approved release has the code {args.code.strip().lower()} (a draft, or another project?)",
              file=sys.stderr)
        return 1
    return _print_errors(found.problems)


def run_serve(project: Project, args: argparse.Namespace) -> int:
    from leaflets.web.app import serve  # Flask and waitress load only for this command

    host, port = check_host(args.host), check_port(args.port)
    if not _loopback(host) and not args.allow_network:
        raise UsageError(f"--host {host} lets other computers reach the page, which has no login of its own; "
                         "add --allow-network if that is meant (behind the clinic's sign-in)")
    serve(project, args.clinic, host, port, args.allow_network)
    return 0


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def run_i18n(project: Project, args: argparse.Namespace) -> int:
    from leaflets.language.catalogs import run_babel

    return run_babel(project.root, args.step, args.lang)


def run_i18n_update(project: Project, args: argparse.Namespace) -> int:
    from leaflets.language.catalogs import (
        adopt_cldr_plural_forms,
        catalog_languages,
        catalog_path,
        plural_forms_advice_for,
        run_babel,
    )

    code = run_babel(project.root, "update")
    if code:
        return code
    if args.plural_forms:
        for lang in catalog_languages(project.locales):
            if adopt_cldr_plural_forms(project.locales, lang):
                print(f"{display_path(catalog_path(project.locales, lang))}: Plural-Forms set to CLDR's current rule")
    for advice in plural_forms_advice_for(project.locales):
        print(f"{advice} (adopt it with: leaflets i18n update --plural-forms)", file=sys.stderr)
    return 0


def run_i18n_status(project: Project, args: argparse.Namespace) -> int:
    from leaflets.governance.checking import translation_status

    clinics, problems = project.load_each_clinic()
    if not clinics:  # the status is of leaflets, which need a clinic
        return _print_errors(problems or [UsageError(f"{display_path(project.content / 'clinics')}: no clinic file; "
                                                     "leaflets need one to be made")])
    status, errors = translation_status(project)
    languages = sorted({lang for _, lang in status})
    procedures = sorted({procedure for procedure, _ in status})
    rows = [["PROCEDURE", *languages]] + [[p, *(str(status[p, lang]) for lang in languages)] for p in procedures]
    _print_table(rows)
    complete = all(str(state) == "complete" for state in status.values())
    return _print_errors(errors) or (0 if complete else 1)


def run_i18n_check(project: Project, args: argparse.Namespace) -> int:
    from leaflets.language.catalogs import catalog_languages, load_language

    languages, errors = catalog_languages(project.locales), []
    for lang in languages:
        try:
            load_language(project.locales, lang)
        except LeafletError as exc:
            errors += exc.errors
    print(f"{len(languages)} catalog(s): {len(errors) or 'no'} problem(s) found")
    return _print_errors(errors)


def _print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def run_check(project: Project, args: argparse.Namespace) -> int:
    from leaflets.checks.findings import Severity
    from leaflets.governance.checking import check_leaflets, check_project

    if args.pdf:
        from leaflets.checks.pdf import check_pdf  # pikepdf loads only to read PDFs back

        findings = [finding for path in args.pdf for finding in check_pdf(Path(path), project)]
        for finding in findings:
            print(finding)
        print(f"{len(args.pdf)} PDF(s): {len(findings) or 'no'} problem(s) found")
        return 1 if findings else 0
    summary, invalid = check_project(project)
    _print_errors(invalid)
    print(summary)
    reports, findings = check_leaflets(project, args.clinic)
    _print_table([["LEAFLET", "LANG", "GRADE", "SMOG", "HARDEST SECTION", "EASE", "LONG", "STATUS"]] + [
        [r.procedure, r.lang, _number(r.readability.grade), _number(r.readability.smog), _hardest(r.readability.sections),
         _number(r.readability.reading_ease, "{:.0f}"), str(r.long_sentences), r.status]
        for r in reports
    ])
    for finding in findings:
        print(finding)
    errors = sum(f.severity == Severity.ERROR for f in findings)
    warnings = sum(f.severity == Severity.WARNING for f in findings)
    print(f"{len(reports)} leaflets: {errors} error(s), {warnings} warning(s), {len(findings) - errors - warnings} note(s)")
    return 1 if errors or invalid or (args.strict and warnings) else 0


def _number(value: float | None, form: str = "{:.1f}") -> str:
    return "-" if value is None else form.format(value)


def _hardest(sections: dict[str, float]) -> str:
    if not sections:
        return "-"
    name, grade = max(sections.items(), key=lambda item: item[1])
    return f"{name} {grade:.1f}"
