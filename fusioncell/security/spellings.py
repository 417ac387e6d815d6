"""What token masking cannot see: identifiers with spaces, other spellings of a number, names.

:meth:`fusioncell.security.minimise.Minimiser.mask_text` masks a hidden
identifier when it stands as a whole token. Three kinds of trace escape a
token match, and this module catches them:

* a hidden identifier with a separator in it — an alias ``alias:La Güera``
  in "partner of the target (alias:La Güera)";
* a **protected** person's number in another spelling: "33 1234 5678",
  "+52 1 33-1234-5678", "0052 3312345678", "(33) 1234 5678" — any
  grouping of her national digits, with or without the country code;
* a **protected** person's bare alias ("La Güera") and names (the entity's
  caption and ``name``/``alias`` properties), matched whole-word and
  case-insensitively.

Each becomes the pseudonym of the identifier (the entity's for a name), so
the masked text stays readable and ``fusioncell unmask`` can reverse it.
Bystanders' numbers are matched in their normalised form only (as tokens):
compiling every spelling of thousands of numbers is not worth it for people
whose numbers nobody writes out by hand.

>>> import re
>>> rx = re.compile(phone_pattern("+523312345678"))
>>> bool(rx.search("llamó al 33 1234-5678 ayer")), bool(rx.search("+52 1 33 1234 5678"))
(True, True)
>>> bool(rx.search("tel 3312345679")), bool(rx.search("933123456780"))
(False, False)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.security.minimise import Minimiser
    from fusioncell.store import CaseStore

#: a separator people put between the digits of a number (at most two characters)
_SEP = r"[\s.()/-]{0,2}"
#: a name or alias shorter than this is too common a word to mask
MIN_NAME = 4


def phone_pattern(identifier: str) -> str | None:
    """A regex matching the spellings of an E.164 number (``None`` for anything else)."""
    if not identifier.startswith("+"):
        return None
    try:
        import phonenumbers

        num = phonenumbers.parse(identifier)
    except Exception:  # noqa: BLE001 - not a number: no spellings
        return None
    cc, nsn = str(num.country_code), phonenumbers.national_significant_number(num)
    if len(nsn) < 6:
        return None
    mobile = f"(?:1{_SEP})?" if cc == "52" else ""  # Mexico's old mobile "1" after the country code
    prefix = rf"(?:(?:\+|00){_SEP}{_SEP.join(cc)}{_SEP}{mobile})?"
    return rf"(?<![\w+]){prefix}{_SEP.join(nsn)}(?!\w)"


def protected_names(store: "CaseStore", hidden: set[str]) -> dict[str, str]:
    """Names (caption, ``name`` and ``alias`` properties) of hidden entities → the entity's pseudonym."""
    from fusioncell.security.minimise import case_secret, pseudonym

    if not hidden:
        return {}
    key = case_secret(store)
    rows = store.con.execute(
        "SELECT entity_id, caption, properties FROM entities WHERE entity_id IN (SELECT unnest(?))",
        [sorted(hidden)]).fetchall()
    out: dict[str, str] = {}
    for entity_id, caption, props in rows:
        names = [caption] if caption else []
        try:
            p: Any = json.loads(props) if isinstance(props, str) else (props or {})
            names += [n for k in ("name", "alias") for n in p.get(k) or []]
        except (TypeError, ValueError, AttributeError):
            pass
        for n in names:
            if isinstance(n, str) and len(n.strip()) >= MIN_NAME and n.strip() != entity_id:
                out[n.strip()] = pseudonym(key, entity_id)
    return out


@dataclass
class Spellings:
    """One compiled pattern over the hidden values tokens miss, and what each becomes."""

    pattern: re.Pattern[str] | None = None
    literal: dict[str, str] = field(default_factory=dict)  # lower-cased text -> pseudonym
    digits: dict[str, str] = field(default_factory=dict)  # national significant number -> pseudonym

    @classmethod
    def build(cls, m: "Minimiser") -> "Spellings":
        """The spellings of ``m``'s hidden identifiers (see the module docstring)."""
        from fusioncell.security.minimise import _TOKEN_SPLIT, pseudonym

        hidden = m.known - m.clear
        shielded = m.protected & hidden
        literal: dict[str, str] = {}
        for ident in hidden:
            if _TOKEN_SPLIT.search(ident):
                literal[ident.lower()] = pseudonym(m.key, ident)
        for ident in shielded:
            head, sep, rest = ident.partition(":")
            if sep and head == "alias" and len(rest.strip()) >= MIN_NAME:
                literal.setdefault(rest.strip().lower(), pseudonym(m.key, ident))
        for name, alias in protected_names(m.store, shielded).items():
            literal.setdefault(name.lower(), alias)
        phones: list[str] = []
        digits: dict[str, str] = {}
        for ident in sorted(shielded):
            rx = phone_pattern(ident)
            if rx is not None:
                phones.append(rx)
                digits[_national(ident)] = pseudonym(m.key, ident)
        words = [rf"(?<!\w){re.escape(t)}(?!\w)" for t in sorted(literal, key=len, reverse=True)]
        alts = phones + words
        pattern = re.compile("|".join(alts), re.IGNORECASE) if alts else None
        return cls(pattern, literal, digits)

    def sub(self, text: str) -> str:
        """``text`` with every spelling replaced by its pseudonym."""
        if self.pattern is None or not text:
            return text
        return self.pattern.sub(self._replace, text)

    def _replace(self, mt: re.Match[str]) -> str:
        found = mt.group(0)
        hit = self.literal.get(found.lower())
        if hit is not None:
            return hit
        ds = re.sub(r"\D", "", found)
        for nsn, alias in self.digits.items():
            if ds.endswith(nsn):
                return alias
        return "masked:phone"  # a spelling matched but its number is unclear: mask it anyway


def _national(identifier: str) -> str:
    import phonenumbers

    return str(phonenumbers.national_significant_number(phonenumbers.parse(identifier)))
