"""ICD 203 estimative language: the right word for each band, boundaries included."""

from __future__ import annotations

import doctest
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusioncell.errors import UsageError
from fusioncell.products import language
from fusioncell.products.language import (
    confidence_level,
    confidence_sentence,
    estimative,
    judgment,
    mixes_likelihood_and_confidence,
    percent,
)

# (probability, expected word) from the ICD 203 table, boundaries resolved
# towards "roughly even chance" as the module documents.
CASES = [
    (0.0, "almost no chance"),
    (0.01, "almost no chance"),
    (0.0499, "almost no chance"),
    (0.05, "very unlikely"),
    (0.12, "very unlikely"),
    (0.1999, "very unlikely"),
    (0.20, "unlikely"),
    (0.44, "unlikely"),
    (0.45, "roughly even chance"),
    (0.50, "roughly even chance"),
    (0.55, "roughly even chance"),
    (0.5501, "likely"),
    (0.70, "likely"),
    (0.80, "likely"),
    (0.8001, "very likely"),
    (0.95, "very likely"),
    (0.9501, "almost certainly"),
    (0.99, "almost certainly"),
    (1.0, "almost certainly"),
]


@pytest.mark.parametrize(("p", "word"), CASES)
def test_estimative_word_matches_icd203_band(p: float, word: str) -> None:
    assert estimative(p) == word


@given(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0.0, max_value=1.0))
def test_estimative_is_monotone(a: float, b: float) -> None:
    order = [w for _, _, w in language.BANDS]
    lo, hi = sorted((a, b))
    assert order.index(estimative(lo)) <= order.index(estimative(hi))


@given(st.floats(min_value=0.0, max_value=1.0))
def test_estimative_is_symmetric_around_even_chance(p: float) -> None:
    mirror = {
        "almost no chance": "almost certainly",
        "very unlikely": "very likely",
        "unlikely": "likely",
        "roughly even chance": "roughly even chance",
    }
    mirror.update({v: k for k, v in list(mirror.items())})
    q = round(1.0 - p, 12)
    p = round(p, 12)
    assert estimative(q) == mirror[estimative(p)]


@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan"), "high", None])
def test_estimative_rejects_non_probabilities(bad: object) -> None:
    with pytest.raises(UsageError):
        estimative(bad)  # type: ignore[arg-type]


def test_percent_never_claims_certainty() -> None:
    assert percent(0.0) == "<1%"
    assert percent(1.0) == ">99%"
    assert percent(0.5) == "50%"


@given(st.floats(min_value=0.0, max_value=1.0))
def test_percent_never_prints_zero_or_a_hundred(p: float) -> None:
    # 0.005 once printed "0%" and 0.995 "100%" (round-half-to-even)
    assert percent(p) not in ("0%", "100%")
    assert percent(0.005) == "<1%" and percent(0.995) == ">99%" and percent(0.015) == "2%"


def test_judgment_sentence_is_grammatical_for_every_band() -> None:
    assert judgment("he is there", 0.9) == "It is very likely (90%) that he is there."
    assert judgment("he is there", 0.5) == "There is a roughly even chance (50%) that he is there."
    assert judgment("he is there", 0.02) == "There is almost no chance (2%) that he is there."


def test_confidence_sentence_never_contains_likelihood_word() -> None:
    s = confidence_sentence("high", "five sources")
    assert "high confidence" in s
    assert mixes_likelihood_and_confidence(s) == []
    with pytest.raises(UsageError):
        confidence_sentence("high", "a probable partner's calls")
    with pytest.raises(UsageError):
        confidence_sentence("certain", "x")


def test_mixing_detector_finds_the_offending_sentence_only() -> None:
    text = "It is likely that he is at the farm. We have moderate confidence in this. We are confident it is unlikely he left."
    assert mixes_likelihood_and_confidence(text) == ["We are confident it is unlikely he left."]


def test_confidence_level_rules() -> None:
    assert confidence_level(3, 2, 1, 0.30) == "high"
    assert confidence_level(3, 1, 1, 0.50) == "moderate"  # one discipline only
    assert confidence_level(5, 3, 2, 0.05) == "low"  # leader barely ahead
    assert confidence_level(1, 1, 1, 0.90) == "low"  # single source


def test_module_doctests_pass() -> None:
    result = doctest.testmod(language)
    assert result.attempted > 5 and result.failed == 0


def test_every_kind_of_location_evidence_has_a_partners_wording() -> None:
    """A kind without words falls back to the analysis's own line (model terms, "his partner's phone"):
    every locate feature must have its partner wording."""
    from fusioncell.infer.features import FEATURES
    from fusioncell.products.language import EVIDENCE_WORDS, evidence_line

    assert sorted(set(FEATURES) - set(EVIDENCE_WORDS)) == []
    assert evidence_line("household", [], "person-target", "plate:X: vehicles parked here (log LR)") == (
        "Vehicles are parked here on several days: a lived-in place")


def test_no_partners_wording_names_how_the_evidence_was_collected() -> None:
    """A tearline describes sources generically: "cell sites", "phone", "informant" name the discipline
    (call records with serving cells, intercepts, human sources) the product withholds."""
    from fusioncell.products.language import EVIDENCE_WORDS

    told = re.compile(r"\b(cell|cells|mast|phone|handset|intercept|informant|switched off|signal|SIGINT|HUMINT)\b", re.I)
    assert {k: w for k, w in EVIDENCE_WORDS.items() if told.search(w)} == {}


def test_every_kind_of_location_evidence_has_a_partners_category() -> None:
    from fusioncell.infer.features import FEATURES
    from fusioncell.products.language import EVIDENCE_CATEGORY

    assert sorted(set(FEATURES) - set(EVIDENCE_CATEGORY)) == []
    assert set(EVIDENCE_CATEGORY.values()) == {"presence", "absence", "sighting", "report", "place"}


def test_every_kind_of_location_evidence_has_a_name_in_the_owners_report() -> None:
    """The owner's evidence table named evidence by the model's feature ("nights_partner_coarse",
    "isolated_presence"): every locate feature has an analyst's name, and no two share one."""
    from fusioncell.infer.features import FEATURES
    from fusioncell.products.language import EVIDENCE_KIND, evidence_kind

    assert sorted(set(FEATURES) - set(EVIDENCE_KIND)) == []
    assert len(set(EVIDENCE_KIND.values())) == len(EVIDENCE_KIND)
    assert not [w for w in EVIDENCE_KIND.values() if "_" in w]
    assert evidence_kind("nights_partner_coarse") == "her nights (cell sites)"
