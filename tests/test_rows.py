"""The test factories write store rows by column name: a column added to the store schema breaks none of them."""

from __future__ import annotations

import pytest

from fusioncell.store import schema
from tests import test_network_factory as net
from tests import test_share_factory as share
from tests.rows import case_store, put

#: every store table a test factory writes
COVERED = ("case_info", "targets", "sources", "entities", "entity_identifiers",
           "comms", "locations", "sightings", "reports", "claims")


@pytest.fixture()
def widened(monkeypatch: pytest.MonkeyPatch) -> None:
    """The store schema with one more nullable column (``zz_added``) at the end of every covered table."""
    for t in COVERED:
        monkeypatch.setitem(schema.TABLES, t, schema.TABLES[t].rstrip() + ",\n        zz_added VARCHAR\n")


def _assert_rows_with_null_added(s, tables) -> None:  # type: ignore[no-untyped-def]
    for t in tables:
        n, n_null = s.con.execute(f"SELECT count(*), count(*) FILTER (WHERE zz_added IS NULL) FROM {t}").fetchone()
        assert n >= 1 and n_null == n, t


def test_share_factory_builds_a_case_on_a_widened_schema(widened: None) -> None:
    s = share.make_case([("geo-01", "SEDENA-INT", "GEOINT", "m", ["PARTNER-US"])])
    share.add_fix(s, "l1", "geo-01", share.TARGET_PHONE, 19.0, -103.0)
    share.add_call(s, "c1", "geo-01", share.TARGET_PHONE, share.PARTNER_PHONE)
    share.add_sighting(s, "s1", "geo-01", share.TARGET, 19.0, -103.0)
    share.add_claim(s, "r1", "geo-01", share.TARGET, "located_near", lat=19.0, lon=-103.0, radius_m=100.0)
    _assert_rows_with_null_added(s, COVERED)
    # the named columns landed where they belong, not shifted by the new one
    assert s.con.execute("SELECT identifier, accuracy_m, line FROM locations").fetchone() == (
        share.TARGET_PHONE, 50.0, 1)


def test_network_factory_builds_a_case_on_a_widened_schema(widened: None) -> None:
    c = net.Case()
    c.call(net.F, net.P, net.at(0, 23.0), 600)
    c.person("person-f", phones=(net.F,))
    c.fix(net.F, net.at(0, 2.0), 20.0, -103.0)
    c.sight("person-f", net.at(0, 3.0), 20.0, -103.0)
    c.claim("person-f", "knows", "person-p")
    s = c.store()
    _assert_rows_with_null_added(s, ("case_info", "sources", "comms", "entities", "entity_identifiers",
                                     "claims", "locations", "sightings"))
    assert s.con.execute("SELECT caller, callee, duration_s FROM comms").fetchone() == (net.F, net.P, 600.0)


def test_case_store_builds_on_a_widened_schema(widened: None) -> None:
    s = case_store(sources=[{"source_id": "s1", "discipline": "GEOINT"}])
    _assert_rows_with_null_added(s, ("case_info", "targets", "sources"))


def test_a_misspelt_column_is_refused() -> None:
    s = case_store()
    with pytest.raises(ValueError, match="unknown column"):
        put(s.con, "sources", source_id="s1", agencyy="AG")
