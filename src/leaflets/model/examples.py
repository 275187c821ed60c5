"""What to write in each field of a record, block or clinic file: a one-line description and a short
example in YAML. Validation messages quote the example ("write it like ..."), and the JSON Schema
(schema.py) carries both, so an editor shows them while the author types.

Keys are a field's name, or ``parent.field`` where the same name means something else elsewhere
(``sources.title`` is a publication's title, ``title`` the leaflet's).
"""

from __future__ import annotations

from leaflets.model.yamlfile import Location

FIELDS: dict[str, tuple[str, str]] = {
    "format": ("The format this file is written in: 2 is the current one; no line at all means format 1.",
               "format: 2"),
    "id": ("The procedure's id: lowercase letters, digits and hyphens; equals the file name.",
           "id: dialysis-fistula-creation"),
    "title": ("The leaflet's title, in plain words (not the code descriptor).",
              "title: Making a fistula in your arm for dialysis"),
    "also_called": ("Other names a patient may hear.", "also_called: [Percutaneous AV fistula, pAVF]"),
    "codes": ("Procedure codes, each in quotes, by system (cpt, hcpcs, icd10pcs or snomed): one code, or a list of "
              "every code the leaflet covers.", 'codes: {cpt: ["36836", "36837"]}'),
    "abbreviations": ("Clinicians' abbreviations to search by (never translated or printed).",
                      "abbreviations: [pAVF, endoAVF]"),
    "cited_for": ("facts (the default: printed among the leaflet's sources) or codes (it verifies the record's codes, "
                  "for EHRs, and is not printed).", "cited_for: codes"),
    "summary": ("The main message, 1-3 sentences, printed first in a box.",
                "summary: Your doctor joins an artery and a vein in your arm through a small needle hole."),
    "purpose": ("Why it is done.", "purpose: Dialysis needs a place where blood can flow out and back in fast."),
    "indications": ("Who may need it, one item each.", "indications: [Your kidneys have stopped working well.]"),
    "preparation": ("How to get ready: a checklist, each item text or {text, pictogram, source}.",
                    "preparation: [Wear a loose top with wide sleeves.]"),
    "what_to_expect": ("What happens: steps, duration, setting, team and sensations.",
                       "what_to_expect: {steps: [...], setting: ..., team: [...], sensations: [...]}"),
    "steps": ("Numbered steps, in order, one action each.", "steps: [You lie on your back.]"),
    "duration": ("How long it takes, in minutes, with its source.",
                 "duration: {min_minutes: 45, max_minutes: 90, source: neat-2017}"),
    "min_minutes": ("The shortest time, in whole minutes.", "min_minutes: 45"),
    "max_minutes": ("The longest time, in whole minutes (not less than min_minutes).", "max_minutes: 90"),
    "setting": ("Where it is done.", "setting: A hospital room with x-ray and ultrasound machines."),
    "team": ("Who is there, one item each.", "team: [A doctor who does this work, Nurses who check on you]"),
    "sensations": ("What it feels like, one item each.", "sensations: [The numbing shot stings for a few seconds.]"),
    "recovery": ("After the procedure: items of text, or {text, pictogram, source}.",
                 "recovery: [Most people go home a few hours after.]"),
    "risks": ("One list of risks, printed most frequent first; each with its number and source where known.",
              "risks: [{text: Bruising where the needle went in, about: {count: 5, per: 100}, source: neat-2017}]"),
    "risks.text": ("What may happen, in plain words.", "text: Bruising where the needle went in"),
    "about": ("How often: {count, per}, {low, high, per} or {less_than, per}; per is 10, 100, 1000 or 10000; "
              "or unknown when no reliable number was found.", "about: {count: 13, per: 100}"),
    "count": ("How many people in per.", "count: 13"),
    "low": ("The lower end of a range.", "low: 1"),
    "high": ("The upper end of a range, above low.", "high: 5"),
    "less_than": ("Fewer than this many people in per.", "less_than: 1"),
    "per": ("Out of how many people: 10, 100, 1000 or 10000.", "per: 100"),
    "key": ("true: drawn as an icon array (a count or a range; 2-3 per leaflet at most).", "key: true"),
    "serious": ("true: printed with 'Serious:' before it.", "serious: true"),
    "source": ("The id of one of the record's sources (or of an included block's).", "source: neat-2017"),
    "text": ("The printed text.", "text: Keep the bandage clean and dry."),
    "pictogram": ("A picture beside the item: no-food-drink, no-driving, medicines, wound-care or phone-help.",
                  "pictogram: wound-care"),
    "sign": ("The id of a sign in content/red_flags.yaml, when the words cannot name it.",
             "sign: hand-slightly-cold"),
    "benefits": ("What it may do for the patient, one item each.", "benefits: [There is no big cut.]"),
    "alternatives": ("Other options, at least one, each with a name and a description.",
                     "alternatives: [{name: Surgical fistula, description: A surgeon makes a cut in your arm.}]"),
    "name": ("The other option's name.", "name: Surgical fistula"),
    "description": ("What the other option is, in a sentence or two.", "description: A surgeon makes a cut in your arm."),
    "when_to_get_help": ("Signs to act on: urgent (call the emergency number) and call_us.",
                         "when_to_get_help: {urgent: [Chest pain], call_us: [Fever of 100.4 F or higher]}"),
    "urgent": ("Signs to call the emergency number for, one item each.", "urgent: [Chest pain or trouble breathing]"),
    "call_us": ("Signs to call the clinic about, one item each.", "call_us: [Fever of 100.4 degrees F or higher]"),
    "questions_to_ask": ("Questions the patient may ask, one item each.", "questions_to_ask: [\"How long until I can use it?\"]"),
    "glossary": ("Medical words and their plain meaning.",
                 "glossary: [{term: Fistula, meaning: A link between an artery and a vein.}]"),
    "term": ("The word explained.", "term: Fistula"),
    "meaning": ("What it means, in plain words.", "meaning: A link made between an artery and a vein."),
    "review": ("The record's version and review dates.",
               'review: {version: "1.0", status: draft, written_on: 2026-11-23, review_due: 2027-11-23}'),
    "version": ('The version, in quotes, like "1.0".', 'version: "1.0"'),
    "status": ("draft or approved.", "status: draft"),
    "written_on": ("The day it was written, YYYY-MM-DD.", "written_on: 2026-11-23"),
    "review_due": ("The day it must be reviewed again, after written_on, YYYY-MM-DD.", "review_due: 2027-11-23"),
    "approved_by": ("The clinician who approved it.", "approved_by: Dr Ana Diaz"),
    "approved_on": ("The day it was approved, YYYY-MM-DD.", "approved_on: 2026-12-01"),
    "sources": ("Where every number comes from, each with an id, title, publisher, year and url or doi.",
                "sources: [{id: neat-2017, title: A study of fistulas, publisher: AJKD, year: 2017, url: https://www.ajkd.org/}]"),
    "sources.id": ("The source's id, used by source: elsewhere; lowercase letters, digits and hyphens.", "id: neat-2017"),
    "sources.title": ("The title as published.", "title: A multicenter study of fistulas made through the skin"),
    "publisher": ("Who published it (a journal, a hospital, a society).", "publisher: American Journal of Kidney Diseases"),
    "year": ("The year it was published (leave out when the page shows none).", "year: 2017"),
    "url": ("Its address, starting with https://.", "url: https://www.ajkd.org/article/S0272-6386(17)30712-4"),
    "doi": ("Its DOI, starting with 10.", "doi: 10.1053/j.ajkd.2017.05.017"),
    "search_terms": ("Words people search by (translated, never printed).", "search_terms: [AV fistula, endoAVF]"),
    "blocks": ("Shared blocks of content/blocks/ to include, by name.", "blocks: [sedation, wound-care]"),
    "how_to": ("Numbered self-care steps under a title.",
               "how_to: [{title: How to check your fistula, steps: [Feel for a buzz.], when: after}]"),
    "how_to.title": ("What the steps are for.", "title: How to check your fistula"),
    "how_to.when": ("before (under 'How to get ready') or after (under recovery).", "when: after"),
    "when": ("When a preparation item is done, its group in the checklist: week-before, day-before (the default), "
             "on-the-day or after.", "when: week-before"),
    "keep_taking": ("The kinds of blood thinner patients keep taking for this procedure: antiplatelets, anticoagulants; "
                    "a shared block words itself for them.", "keep_taking: [antiplatelets]"),
    "if_kept": ("Print this item only when the record keeps taking every kind listed (antiplatelets, anticoagulants).",
                "if_kept: [antiplatelets]"),
    "unless_kept": ("Print this item only when the record keeps taking none of the kinds listed.",
                    "unless_kept: [antiplatelets]"),
    "diagrams": ("Drawings of templates/diagrams/, each with a caption and alt text.",
                 "diagrams: [{image: fistula-arm.svg, caption: ..., alt: ..., labels: [Artery, Vein]}]"),
    "image": ("An .svg file in templates/diagrams/.", "image: fistula-arm.svg"),
    "caption": ("The words printed under the drawing.", "caption: Your doctor joins an artery and a vein."),
    "alt": ("What the drawing shows, for those who cannot see it.", "alt: Drawing of a forearm with an artery and a vein."),
    "labels": ("The words for the drawing's markers 1, 2, 3...", "labels: [Artery, Vein]"),
    "text.count": ("The clinic policy whose number the plural follows (needed with two placeholders).",
                   "count: no_driving_hours_after_sedation"),
    "common": ("Format 1: risks seen in many people, one line each (format 2 gives each its number instead).",
               "common: [Bruising at the needle spot]"),
    "rare": ("Format 1: risks seen in few people, one line each (format 2 gives each its number instead).",
             "rare: [Infection at the needle spot]"),
    "one": ("The text when the number is 1.", "one: For {no_driving_hours_after_sedation} hour, do not drive."),
    "other": ("The text for any other number.", "other: For {no_driving_hours_after_sedation} hours, do not drive."),
    "name.clinic": ("The clinic's name.", "name: Riverside Vascular and Kidney Clinic"),
    "address": ("The clinic's address, one line each.", 'address: [100 Example Avenue, "Springfield, ST 00000"]'),
    "phones": ("The clinic's phone numbers.", "phones: {daytime: (555) 010-2000, out_of_hours: (555) 010-2999}"),
    "daytime": ("The daytime phone number.", "daytime: (555) 010-2000"),
    "out_of_hours": ("The phone number out of hours.", "out_of_hours: (555) 010-2999"),
    "emergency": ("The emergency number, in quotes.", 'emergency: "911"'),
    "website": ("The clinic's website.", "website: riverside-clinic.example"),
    "published_at": ("Where dist/ is published (an https address): every PDF prints its web version's short "
                     "address and QR code.", "published_at: https://leaflets.riverside-clinic.example/"),
    "feedback": ("Where patients tell the clinic about a leaflet: an e-mail address or a phone number.",
                 "feedback: leaflets@riverside-clinic.example"),
    "logo": ("A .svg, .png or .jpg file beside the clinic file.", "logo: example-logo.svg"),
    "accent_colour": ("Rules and box borders; 4.5:1 contrast on white.", 'accent_colour: "#1f4e79"'),
    "paper": ("letter or A4.", "paper: letter"),
    "reading_grade_max": ("The plain-language target for leaflets check (a US grade).", "reading_grade_max: 8"),
    "languages": ("The languages build --all makes.", "languages: [en, es, fr]"),
    "page_budget": ("Pages a regular-print leaflet may take (2 to 20; large print twice that); check names the longest "
                    "sections of one that is longer.", "page_budget: 8"),
    "policies": ("Numbers the shared blocks print (see the README's table).", "policies: {fasting_food_hours: 6}"),
    "packets": ("Leaflets often given together, by name.",
                "packets: {fistula-day: {title: Fistula day, leaflets: [dialysis-fistula-creation]}}"),
    "packets.title": ("The packet's title.", "title: Fistula day"),
    "leaflets": ("The procedure ids in the packet.", "leaflets: [dialysis-fistula-creation]"),
    "signs": ("The signs of content/red_flags.yaml, each with an id, a description and the words that find it.",
              "signs: [{id: chest-pain, description: Chest pain, words: [chest pain]}]"),
    "signs.id": ("The sign's id, used by sign: in a record; lowercase letters, digits and hyphens.", "id: chest-pain"),
    "signs.description": ("What the sign is, in a few words.", "description: Chest pain"),
    "words": ("Words that find the sign in a leaflet: all present in any order, a|b for either.",
              "words: [chest pain, chest|tight]"),
    "signs.urgent": ("true (the default): call the emergency number; false: call the clinic the same day.",
                     "urgent: false"),
    "advice": ("Words that find advice contradicting itself: stop_plan, medicines, any_blood_thinner, infection, "
               "escalation; each a list of phrases (words all present, a|b for either).",
               "advice: {stop_plan: [stop|day], infection: [fever|redness]}"),
    "stop_plan": ("Phrases of a plan to stop a medicine on a given day.", "stop_plan: [day to stop]"),
    "medicines": ("For each kind a record may keep taking (antiplatelets, anticoagulants), the words naming it.",
                  "medicines: {antiplatelets: [aspirin, clopidogrel], anticoagulants: [warfarin, apixaban]}"),
    "any_blood_thinner": ("Phrases that name every kind of blood thinner at once.", "any_blood_thinner: [blood thinner]"),
    "infection": ("Phrases of a sign of infection.", "infection: [fever, redness|swelling]"),
    "escalation": ("Phrases of what to do when the clinic cannot be reached.", "escalation: [emergency room|911]"),
}


def field_key(location: Location) -> str | None:
    """The key of ``FIELDS`` that describes the value at ``location`` (None when there is none)."""
    names = [part for part in location if isinstance(part, str)]
    if not names:
        return None
    if len(names) > 1 and f"{names[-2]}.{names[-1]}" in FIELDS:
        return f"{names[-2]}.{names[-1]}"
    if names == ["name"]:
        return "name.clinic"
    if names[0] == "packets" and len(names) > 1 and names[-1] == "title":
        return "packets.title"
    return next((name for name in reversed(names) if name in FIELDS), None)  # else the nearest enclosing field


def example_for(location: Location) -> str | None:
    """A short example of what to write at ``location``, in YAML."""
    key = field_key(location)
    return FIELDS[key][1] if key else None
