"""The form of the clinicians' page: which leaflets, in which language and print, with which
of the patient's details; each problem shown by its field, what was typed shown again."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from leaflets.build.ondemand import in_worker, personalise, render_leaflets
from leaflets.model.record import Procedure
from leaflets.render.html import PatientDetails, PersonalError, parse_personal
from leaflets.web.pages import page, pdf_response, pdf_url, procedure_or_404
from leaflets.web.site import LOGGER, Site, standing_of, the_pool

# The form asks for the appointment as a date and a time, each with the browser's own picker.
FORM_FIELDS = tuple(name for detail in PatientDetails.helps() for name in
                    (("date", "time") if detail == "appointment" else (detail,)))


def packet_or_404(site: Site) -> tuple[list[Procedure], str | None]:
    """The leaflets a packet address names: ``?name=`` a clinic's packet, or ``?leaflet=`` several times."""
    name = request.args.get("name")
    if name is not None:
        packet = site.clinic.packets.get(name)
        if packet is None:
            abort(404)
        ids, title = packet.leaflets, packet.title
    else:
        ids, title = list(dict.fromkeys(request.args.getlist("leaflet")))[:20], None
    if not ids:
        abort(404)
    return [procedure_or_404(site, procedure_id) for procedure_id in ids], title


def create(site: Site, procedures: list[Procedure], packet_title: str | None = None) -> BaseResponse:
    """The PDF the form asks for: one leaflet, a packet, either with the English leaflets, with or
    without the patient's details. What was typed is shown again if it cannot be made."""
    instead = request.form.get("instead")  # a refused translation's form offers English instead
    lang = "en" if instead == "en" else request.form.get("lang", "en")
    large_print = request.form.get("print") == "large"
    with_english = request.form.get("with_english") == "yes" and lang != "en" and instead != "en"
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    again = {"procedures": procedures, "packet_title": packet_title, "values": values, "chosen_lang": lang,
             "large_print": large_print, "with_english": with_english}
    if lang in site.broken:
        return page(site, "web/leaflet.html", 503, errors={}, refused_lang=lang, broken=True, **again)
    if lang not in site.languages:
        abort(404)
    errors, fields = personal_fields(values, site.project.fonts)
    if errors:
        return page(site, "web/leaflet.html", 400, errors=errors, **again)
    if request.headers.get("X-Leaflets-Check") == "1":  # form.js checks the form in place before a new tab opens
        if lang != "en" and any(standing_of(site, procedure, lang) is None for procedure in procedures):
            return page(site, "web/leaflet.html", 409, errors={}, refused_lang=lang, **again)
        return Response(status=204)
    ids = [procedure.id for procedure in procedures]
    if len(procedures) == 1 and not with_english:
        procedure = procedures[0]
        if not any(fields.values()):
            return redirect(pdf_url(procedure.id, lang, large_print), code=303)
        prebuilt = site.current_pdf(procedure, lang, large_print)
        if prebuilt is not None and prebuilt[1]:
            quick = in_worker(the_pool(), personalise, str(prebuilt[0]), prebuilt[1], lang, large_print, fields, site.stamp)
            if isinstance(quick, bytes):
                return pdf_response(quick, procedure.id, lang, personal=True, made="prebuilt-with-details")
    state, result = in_worker(the_pool(), render_leaflets, ids, lang, large_print, fields, with_english, site.stamp)
    name = ids[0] if len(ids) == 1 else "packet"
    if state == "pdf":
        return pdf_response(result, name + ("-with-english" if with_english else ""), lang,
                            personal=any(fields.values()), made="rendered")
    if state == "refused":
        LOGGER.warning("translation refused: %s [%s]", " ".join(ids), lang)
        return page(site, "web/leaflet.html", 409, errors={}, refused_lang=lang, **again)
    LOGGER.error("could not build %s [%s]: %s", " ".join(ids), lang, result[0] if result else "?")
    return page(site, "web/error.html", 500, status_code=500)


def personal_fields(values: dict[str, str], fonts: Path) -> tuple[dict[str, str], dict[str, str | None]]:
    """Errors by field (as problem codes the page translates), and the fields for parse_personal."""
    errors: dict[str, str] = {}
    date, clock = values["date"].strip(), values["time"].strip()
    if bool(date) != bool(clock):
        errors["date" if not date else "time"] = "both"
    fields: dict[str, str | None] = {name: values[name] for name in PatientDetails.text_limits()}
    fields["appointment"] = f"{date} {clock}" if date and clock else None
    for name, value in fields.items():  # one at a time, so every field's problem is shown at once
        try:
            parse_personal({name: value}, fonts)
        except PersonalError as exc:
            errors.setdefault({"appointment": "date"}.get(exc.field, exc.field), exc.problem)
    return errors, fields
