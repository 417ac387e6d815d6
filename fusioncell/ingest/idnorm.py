"""Identifier normalisation at ingest: once per *distinct* raw value.

A case has millions of call records but only thousands of distinct numbers,
so the engine fetches the distinct raw values of a file's identifier
columns, :class:`IdNormalizer` reads each once with
:func:`fusioncell.model.identifiers.normalize_identifier` (``phonenumbers``
for phones), and the mapping ``raw -> identifier`` is joined back
relationally. Per-value Python cost never scales with the number of rows.

>>> n = IdNormalizer(region="MX", entity_ids=frozenset({"person-target"}))
>>> n.normalize("33 1234 5678")
('+523312345678', 'phone', None)
>>> n.normalize("person-target")
('person-target', 'entity', None)
"""

from __future__ import annotations

from typing import Iterable

import pyarrow as pa

from fusioncell.model.identifiers import IdentifierError, normalize_identifier

MAP_SCHEMA = pa.schema(
    [
        pa.field("raw", pa.string()),
        pa.field("identifier", pa.string()),
        pa.field("scheme", pa.string()),
        pa.field("error", pa.string()),
    ]
)


class IdNormalizer:
    """Normalise raw identifiers of one case, remembering every answer.

    Parameters
    ----------
    region
        ISO 3166 region for national-format phone numbers (case.toml
        ``phone_region``), or None.
    entity_ids
        The ids of entities.jsonl; a bare word that is none of them, nor a
        phone number, nor ``scheme:value``, is an unknown entity reference.
    """

    def __init__(self, region: str | None, entity_ids: frozenset[str]) -> None:
        self.region = region
        self.entity_ids = entity_ids
        self._cache: dict[str, tuple[str | None, str | None, str | None]] = {}

    def normalize(self, raw: str) -> tuple[str | None, str | None, str | None]:
        """``(identifier, scheme, error)`` of one raw value; error is a user message."""
        hit = self._cache.get(raw)
        if hit is not None:
            return hit
        try:
            ident = normalize_identifier(raw, self.region, self.entity_ids)
            out: tuple[str | None, str | None, str | None] = (ident.value, ident.scheme, None)
        except IdentifierError as exc:
            msg = str(exc)
            if "neither a phone number" in msg:
                msg = (
                    f"unknown entity reference {raw.strip()!r}: not an id in entities.jsonl, "
                    "not a phone number and not a scheme:value identifier "
                    "(imei:, imsi:, plate:, alias:, email:, handle:)"
                )
            out = (None, None, msg)
        self._cache[raw] = out
        return out

    def map_values(self, raws: Iterable[str | None] | pa.Array | pa.ChunkedArray) -> pa.Table:
        """The mapping table ``(raw, identifier, scheme, error)`` of distinct raw values."""
        values = raws.to_pylist() if isinstance(raws, (pa.Array, pa.ChunkedArray)) else list(raws)
        cols: dict[str, list[str | None]] = {"raw": [], "identifier": [], "scheme": [], "error": []}
        for raw in dict.fromkeys(v for v in values if v is not None):
            ident, scheme, err = self.normalize(raw)
            cols["raw"].append(raw)
            cols["identifier"].append(ident)
            cols["scheme"].append(scheme)
            cols["error"].append(err)
        return pa.table(cols, schema=MAP_SCHEMA)
