"""The clinicians' search: a table of what people type and the leaflets it must (and must not) find."""

from __future__ import annotations

import unicodedata

import pytest

from helpers import REPO
from leaflets.model.project import Project
from leaflets.web.search import did_you_mean, find, fold
from leaflets.web.site import make_site

KIDNEY, FISTULA, CLOT = "kidney-tube-tract-widening", "dialysis-fistula-creation", "dialysis-access-clot-removal"
HEART, FOOT = "coronary-blockage-opening", "foot-vein-arterialization"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# (query, leaflets it must find, leaflets it must not find)
QUERIES = [
    # the examples
    ("nefrostomy", {KIDNEY}, {HEART}),
    ("fistla", {FISTULA}, {HEART, KIDNEY}),
    ("rinon", {KIDNEY}, {FISTULA}),
    ("thrombectomy", {CLOT}, {KIDNEY}),
    ("kidney stone", {KIDNEY}, {HEART}),
    ("kidney drain", {KIDNEY}, {FISTULA}),
    ("PCN", {KIDNEY}, {HEART}),
    ("CPT50436", {KIDNEY}, {FISTULA, CLOT, HEART, FOOT}),
    ("cpt 50436", {KIDNEY}, {FISTULA}),
    ("CPT-50436", {KIDNEY}, {FISTULA}),
    ("50436", {KIDNEY}, {FISTULA}),
    ("CTO", {HEART}, {KIDNEY}),  # "cto" is inside the Spanish "trayecto": a whole word is needed
    # codes
    ("36836", {FISTULA}, {CLOT}),
    ("cpt36904", {CLOT}, {FISTULA}),
    ("0620T", {FOOT}, {HEART}),
    ("0620t", {FOOT}, {HEART}),
    ("92943", {HEART}, {KIDNEY}),
    ("5043", set(), {KIDNEY}),  # part of a code is not the code
    # search terms, lay and clinical
    ("declot", {CLOT}, {FISTULA}),
    ("kidney tube", {KIDNEY}, {CLOT}),
    ("nephrostomy", {KIDNEY}, {HEART}),
    ("endoAVF", {FISTULA}, {CLOT}),
    ("AV fistula", {FISTULA}, {HEART}),
    ("PCI", {HEART}, {KIDNEY}),
    ("stent", {HEART}, {FISTULA}),
    ("DVA", {FOOT}, {HEART}),
    ("LimFlow", {FOOT}, {HEART}),
    ("limflow", {FOOT}, {HEART}),
    # whole words and prefixes
    ("nephro", {KIDNEY}, {HEART}),
    ("thromb", {CLOT}, {KIDNEY}),
    ("kid", {KIDNEY}, {HEART}),
    ("fist", {FISTULA, CLOT}, {HEART, KIDNEY}),
    # typos
    ("thrombectmy", {CLOT}, {KIDNEY}),
    ("nefrostomia", {KIDNEY}, {HEART}),
    ("kidny drain", {KIDNEY}, {HEART}),
    # accents, case and Unicode forms, in several languages
    ("riñón", {KIDNEY}, {FISTULA}),
    ("RIÑON", {KIDNEY}, {FISTULA}),
    (nfd("riñón"), {KIDNEY}, {FISTULA}),
    ("coágulo", {CLOT}, {KIDNEY}),
    ("coagulo", {CLOT}, {KIDNEY}),
    (nfd("coágulo"), {CLOT}, {KIDNEY}),
    ("fístula", {FISTULA}, {HEART}),
    ("néphrostomie", {KIDNEY}, {HEART}),
    ("nephrostomie", {KIDNEY}, {HEART}),
    (nfd("néphrostomie"), {KIDNEY}, {HEART}),
    ("thận", {KIDNEY}, {HEART}),
    ("than", {KIDNEY}, {HEART}),
    (nfd("sỏi thận"), {KIDNEY}, {HEART}),
    ("SỎI THẬN", {KIDNEY}, {HEART}),
    ("肾结石", {KIDNEY}, {HEART}),
    ("结石", {KIDNEY}, {HEART}),
    ("透析", {FISTULA, CLOT}, {HEART, KIDNEY}),
    ("支架", {HEART}, {KIDNEY}),
    ("الكلى", {KIDNEY}, {HEART}),
    ("ｃｐｔ５０４３６", {KIDNEY}, {FISTULA}),  # full-width, as a Chinese or Japanese keyboard types it
    # nothing
    ("zzzz", set(), {KIDNEY, FISTULA, CLOT, HEART, FOOT}),
    ("xylophone", set(), {KIDNEY, FISTULA, CLOT, HEART, FOOT}),
]


@pytest.fixture(scope="module")
def entries():
    return make_site(Project(REPO), "example").search_entries


@pytest.mark.parametrize(("query", "must", "must_not"), QUERIES, ids=[q for q, _, _ in QUERIES])
def test_the_query_table(entries, query, must, must_not):
    found = set(find(query, entries))
    assert must <= found, f"{query!r} should find {must - found}"
    assert not (must_not & found), f"{query!r} should not find {must_not & found}"
    if not must:
        assert not found


def test_an_empty_query_finds_every_leaflet(entries):
    assert len(find("", entries)) == len(entries) == 5


def test_folding_is_the_same_for_every_spelling_of_a_word():
    assert fold("RIÑÓN") == fold(nfd("riñón")) == fold("rinon") == "rinon"
    assert fold("Straße") == "strasse" and fold("ﬁstula") == "fistula"
    assert fold("中文") == "中文"


def test_did_you_mean_when_nothing_matches(entries):
    assert find("nephrostommmy tubbbe", entries) == []
    assert did_you_mean("nephrostommmy tubbbe", entries)
    assert did_you_mean("xylophone", entries) == []


def test_the_page_says_did_you_mean():
    from leaflets.build.ondemand import make_pool
    from leaflets.web.app import create_app
    project = Project(REPO)
    pool = make_pool(project, "example", workers=1)
    try:
        page = create_app(project, "example", pool).test_client().get("/?q=kidnney+tubbbbe+draaain&ui=en").text
    finally:
        pool.close()
    assert "No leaflet matches your search" in page and "Did you mean:" in page
