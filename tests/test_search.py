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


# -- ranking: the query set (tests/data/search_queries.tsv), and what it stands for ---------------

QUERY_SET = REPO / "tests" / "data" / "search_queries.tsv"


def query_set() -> list[tuple[str, str, str]]:
    rows = [line.split("\t")[:3] for line in QUERY_SET.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [(lang, query, expected) for lang, query, expected in rows]


def test_the_query_set_covers_six_languages_with_at_least_60_queries():
    rows = query_set()
    assert len(rows) >= 60
    assert {lang for lang, _, _ in rows} == {"en", "es", "fr", "vi", "ar", "zh_Hans"}


@pytest.mark.parametrize(("lang", "query", "expected"), query_set(), ids=[f"{lang}:{query}" for lang, query, _ in query_set()])
def test_each_query_of_the_set_puts_its_leaflet_first(entries, lang, query, expected):
    assert find(query, entries)[0] == expected


def test_a_title_match_outranks_a_mention(entries):
    """Clot removal mentions fistulas (other names, terms); fistula creation is named by the word."""
    assert find("fistula", entries) == [FISTULA, CLOT]
    assert find("stent", entries)[0] == HEART


def test_an_abbreviation_finds_its_leaflet_and_a_close_one_does_not(entries):
    assert find("AVF", entries) == [FISTULA]
    assert find("PCI", entries) == [HEART] and find("PCN", entries) == [KIDNEY]  # one letter apart: never a typo


def test_ties_are_broken_by_the_match_never_by_the_id(entries):
    """Both dialysis leaflets have "dialysis" in their title: the one more often named by it comes first,
    whatever its id (clot removal's id sorts first)."""
    assert find("dialysis", entries)[:2] == [FISTULA, CLOT]
    assert find("透析", entries)[:2] == [FISTULA, CLOT]


def test_short_words_forgive_two_letters_swapped(entries):
    assert find("afv", entries)[0] == FISTULA
    assert find("fistual", entries)[0] == FISTULA
    assert find("pcn", entries) == find("pnc", entries) == [KIDNEY]


def test_folding_for_every_script_we_print():
    assert fold("Đường") == "duong" and fold("ĐƯỜNG VÀO") == "duong vao"
    assert fold("cœur") == "coeur" and fold("Ørsted") == "orsted"
    assert fold("أنبوب") == fold("انبوب") == fold("إنبوب") == fold("آنبوب")[0:1] + "نبوب"
    assert fold("الكلية") == "الكليه" and fold("الكلى") == "الكلي"


def test_a_code_typed_in_arabic_indic_digits(entries):
    assert find("٣٦٨٣٧", entries) == [FISTULA] and find("۵۰۴۳۶", entries) == [KIDNEY]  # Arabic and Persian digits


def test_arabic_prefixes_written_onto_a_word():
    from leaflets.web.search import tokens
    assert tokens("الكلى") == tokens("بالكلى") == tokens("وللكلى") == tokens("والكلية") == tokens("كلى")
    assert tokens("والجلطة") == tokens("جلطة")


def test_chinese_is_matched_by_its_characters_without_spaces(entries):
    from leaflets.web.search import tokens
    assert tokens("肾结石") == ["肾结", "结石"]
    assert find("结石", entries)[0] == KIDNEY and find("肾", entries)[0] == KIDNEY


def test_a_sentence_finds_the_leaflet_holding_most_of_its_words(entries):
    assert find("clot in my fistula", entries) == [CLOT]
    assert find("nephrostommmy tubbbe", entries) == []  # one word of two is not enough: "did you mean" instead
