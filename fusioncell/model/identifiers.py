"""Identifiers: what a collection request names.

An identifier is a string. Phone numbers are normalised to E.164 with the
``phonenumbers`` library (national formats accepted when the case sets a
``phone_region``); other kinds carry a scheme prefix (``imei:``, ``imsi:``,
``plate:``, ``alias:``, ``email:``, ``handle:``) that is lower-cased; plates
are upper-cased with inner whitespace removed, emails lower-cased. An entity
id from entities.jsonl may stand wherever an identifier may.

Normalisation is done on *distinct* raw values (a case has far fewer
distinct identifiers than events) and joined back relationally, so the
per-value Python cost never scales with the number of call records.

>>> normalize_identifier("33 1234 5678", region="MX").value
'+523312345678'
>>> normalize_identifier("PLATE: jal 4821-b").value
'plate:JAL4821-B'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCHEMES = ("imei", "imsi", "plate", "alias", "email", "handle", "phone")
#: The scheme reported for ``word:value`` with a word not in SCHEMES (kept, never refused).
OTHER_SCHEME = "other"
_OTHER_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{1,15}$")
#: The same, as stored (scheme lower-cased), for SQL: a normalised identifier that starts with it and whose scheme
#: is not in SCHEMES (nor is it an entity id) is one kept in a scheme the format does not list.
OTHER_SCHEME_SQL_RE = "^[a-z][a-z0-9_]{1,15}:"
_SCHEME_RE = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.*)$", re.S)
_PHONEISH_RE = re.compile(r"^[\s+()\-.\d/]+$")
_WS_RE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Identifier:
    """A normalised identifier (``value``), its ``scheme`` and the ``raw`` input."""

    value: str
    scheme: str
    raw: str


class IdentifierError(ValueError):
    """A raw value that cannot be read as an identifier; the message says why."""


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return the E.164 form of a phone number or raise :class:`IdentifierError`.

    A number written with ``+`` or ``00`` is read as international; a national
    format needs ``region`` (an ISO 3166 code such as ``"MX"``).
    """
    import phonenumbers  # here, not at the top: a command that parses no number does not load it (net18)

    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+") and not region:
        raise IdentifierError(
            f"phone number {raw!r} is in national format but the case sets no phone_region"
        )
    try:
        num = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException as exc:
        raise IdentifierError(f"not a phone number: {raw!r} ({exc})") from None
    if not phonenumbers.is_possible_number(num):
        raise IdentifierError(f"not a possible phone number: {raw!r}")
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def normalize_identifier(
    raw: str, region: str | None = None, entity_ids: frozenset[str] | set[str] | None = None
) -> Identifier:
    """Normalise one raw identifier.

    Order of reading: a known entity id is kept as it is; a ``scheme:value``
    with a known scheme is prefixed in lower case; something that looks like
    a phone number is parsed to E.164; a ``word:value`` with a scheme the
    format does not list is kept as given (scheme ``other``). Anything else raises
    :class:`IdentifierError` (an unknown entity reference, a garbled number).
    """
    if raw is None:
        raise IdentifierError("empty identifier")
    text = raw.strip()
    if not text:
        raise IdentifierError("empty identifier")
    if entity_ids is not None and text in entity_ids:
        return Identifier(text, "entity", raw)
    m = _SCHEME_RE.match(text)
    if m and m.group(1).lower() in SCHEMES:
        scheme = m.group(1).lower()
        value = _WS_RE.sub(" ", m.group(2).strip())
        if not value:
            raise IdentifierError(f"identifier {raw!r} has a scheme but no value")
        if scheme == "phone":
            return Identifier(normalize_phone(value, region), "phone", raw)
        if scheme == "plate":
            value = value.upper().replace(" ", "")
        elif scheme in ("email", "imei", "imsi"):
            value = value.lower().replace(" ", "")
        return Identifier(f"{scheme}:{value}", scheme, raw)
    if _PHONEISH_RE.match(text) and sum(ch.isdigit() for ch in text) >= 5:
        return Identifier(normalize_phone(text, region), "phone", raw)
    if m and _OTHER_SCHEME_RE.match(m.group(1)) and m.group(2).strip():
        # a scheme the format does not list (a partner's ``vehicle:pickup-white``, ``mac:…``): kept as given,
        # scheme lower-cased; ingest names these schemes in its summary (a typo such as ``plat:`` shows there)
        return Identifier(f"{m.group(1).lower()}:{_WS_RE.sub(' ', m.group(2).strip())}", OTHER_SCHEME, raw)
    if entity_ids is None:
        # No entity list to check against: keep it as an entity reference.
        return Identifier(text, "entity", raw)
    raise IdentifierError(
        f"{raw!r} is neither a phone number, a scheme:value identifier "
        f"({', '.join(s + ':' for s in SCHEMES[:-1])}) nor an entity id from entities.jsonl"
    )


def scheme_of(value: str) -> str:
    """The scheme of an already normalised identifier."""
    if value.startswith("+"):
        return "phone"
    head, sep, _ = value.partition(":")
    if sep and head in SCHEMES:
        return head
    return "entity"
