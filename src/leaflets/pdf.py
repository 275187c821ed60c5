"""The one place that calls WeasyPrint: options, fonts, and a URL fetcher that
reads nothing but the project's own templates, fonts and clinic files."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pikepdf
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .errors import UnsafeResourceError

LOGGER = logging.getLogger(__name__)

# The WeasyPrint options every leaflet is rendered with.
PDF_OPTIONS: dict[str, Any] = {
    "pdf_variant": "pdf/ua-1",  # tagged, with the PDF/UA identification in its XMP metadata
    "pdf_tags": True,  # headings, lists and reading order for screen readers
    "pdf_version": "1.7",
    "optimize_images": True,
    "presentational_hints": False,
}


class RefusedURL(FatalURLFetchingError):
    """Raised inside WeasyPrint to stop a render that asked for a forbidden resource."""


class SafeFetcher(URLFetcher):
    """Serves ``file:`` URLs inside the allowed folders; refuses everything else.

    No network access at all, and no ``data:`` URLs: every resource a leaflet
    uses is a file we ship or a clinic's own logo, so anything else is a mistake
    or an attack.
    """

    def __init__(self, allowed_folders: list[Path]):
        super().__init__(allowed_protocols={"file"})
        self.allowed_folders = [folder.resolve() for folder in allowed_folders]

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused to fetch '{_short(url)}': leaflets may only use the project's own files")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(folder) for folder in self.allowed_folders):
            raise RefusedURL(f"refused to read '{path}': it is outside the templates, content and fonts folders")
        if not path.is_file():
            raise RefusedURL(f"missing file '{path}'")
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": _content_type(path)})


def _short(url: str) -> str:
    return url if len(url) <= 80 else url[:77] + "..."


def _content_type(path: Path) -> str:
    return {
        ".css": "text/css",
        ".svg": "image/svg+xml",
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".ttf": "font/ttf",
        ".otf": "font/otf",
        ".woff2": "font/woff2",
    }.get(path.suffix.lower(), "application/octet-stream")


class PdfRenderer:
    """Renders leaflet HTML to PDF bytes. Keep one per process and reuse it: the
    stylesheet is parsed, the fonts are loaded and the pictures are decoded once."""

    def __init__(self, base_folder: Path, allowed_folders: list[Path], stylesheet: Path):
        self.base_url = base_folder.resolve().as_uri() + "/"
        self.fetcher = SafeFetcher(allowed_folders)
        self.font_config = FontConfiguration()
        self.image_cache: dict[str, Any] = {}
        try:
            self.stylesheet = weasyprint.CSS(
                filename=str(stylesheet), url_fetcher=self.fetcher, font_config=self.font_config
            )
        except RefusedURL as exc:
            raise UnsafeResourceError(str(exc), stylesheet) from None

    def write_pdf(self, html: str) -> bytes:
        document = weasyprint.HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
        try:
            data = document.write_pdf(
                stylesheets=[self.stylesheet], font_config=self.font_config, cache=self.image_cache, **PDF_OPTIONS
            )
        except RefusedURL as exc:
            raise UnsafeResourceError(str(exc)) from None
        return mark_running_content_as_artifacts(data)


def mark_running_content_as_artifacts(data: bytes) -> bytes:
    """Mark the page's running header and footer as artifacts (PDF/UA-1, ISO 14289-1 7.8).

    WeasyPrint tags what it draws in page margins (the footer, the draft
    banner) as marked content whose structure elements are never linked into
    the structure tree: content that is neither real content nor an artifact.
    Screen readers should skip it, so it becomes ``/Artifact`` marked content.
    """
    with pikepdf.open(io.BytesIO(data)) as pdf:
        tree = pdf.Root.get("/StructTreeRoot")
        if tree is None:
            return data
        linked = _linked_elements(tree.K)
        parent_tree = tree.ParentTree.Nums
        for page in pdf.pages:
            key = page.obj.get("/StructParents")
            if key is None:
                continue
            marked = _parent_tree_entry(parent_tree, int(key))
            unlinked = {i for i, element in enumerate(marked) if _is_element(element) and element.objgen not in linked}
            if unlinked:
                _rewrite_as_artifacts(pdf, page, unlinked)
                for i in unlinked:
                    marked[i] = pikepdf.Object.parse(b"null")
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def _is_element(item: Any) -> bool:
    return isinstance(item, pikepdf.Dictionary) and "/S" in item


def _linked_elements(kids: Any) -> set[tuple[int, int]]:
    linked: set[tuple[int, int]] = set()
    todo = [kids]
    while todo:
        item = todo.pop()
        if isinstance(item, pikepdf.Array):
            todo.extend(item)
        elif _is_element(item) and item.objgen not in linked:
            linked.add(item.objgen)
            if "/K" in item:
                todo.append(item.K)
    return linked


def _parent_tree_entry(nums: pikepdf.Array, key: int) -> pikepdf.Array:
    for index in range(0, len(nums), 2):
        if int(nums[index]) == key:
            return nums[index + 1]
    return pikepdf.Array()


_MARKED_CONTENT = re.compile(rb"/\w+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")


def _rewrite_as_artifacts(pdf: pikepdf.Pdf, page: pikepdf.Page, mcids: set[int]) -> None:
    """Turn ``/Tag <</MCID n>> BDC`` into ``/Artifact <</Type /Pagination>> BDC`` for the given n."""

    def artifact(match: re.Match[bytes]) -> bytes:
        return b"/Artifact <</Type /Pagination>> BDC" if int(match[1]) in mcids else match[0]

    streams = page.obj.Contents
    for stream in streams if isinstance(streams, pikepdf.Array) else [streams]:
        stream.write(_MARKED_CONTENT.sub(artifact, stream.read_bytes()))  # compressed again on save
