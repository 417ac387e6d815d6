"""The Admiralty table: monotone in both axes, neutral at F6, never certain."""

from fusioncell.model.grading import CREDIBILITY, P_TRUE, RELIABILITY, grade, p_true, weight


def test_better_reliability_never_lowers_probability() -> None:
    order = "ABCDE"
    for cred in CREDIBILITY:
        ps = [P_TRUE[r][cred] for r in order]
        assert ps == sorted(ps, reverse=True)


def test_better_credibility_never_lowers_probability() -> None:
    for rel in RELIABILITY:
        ps = [P_TRUE[rel][c] for c in range(1, 6)]
        assert ps == sorted(ps, reverse=True)


def test_cannot_be_judged_on_both_axes_is_no_information() -> None:
    assert p_true("F", 6) == 0.5
    assert abs(weight("F", 6)) < 1e-12


def test_no_grade_reaches_certainty() -> None:
    assert all(0.0 < p < 1.0 for row in P_TRUE.values() for p in row.values())


def test_unknown_grades_read_as_cannot_be_judged() -> None:
    assert p_true(None, None) == p_true("F", 6)
    assert grade("b", 2) == "B2"
