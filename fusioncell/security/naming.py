"""Names for identifiers in sentences: a role and a stable handle, never the identifier itself.

Sentences — evidence summaries, plan reasons, alert descriptions, place
labels — are built with :class:`Namer`, so an identifier reaches a product
only through the dedicated identifier fields (``identifier``,
``identifiers``, ``subjects``, ``members``) that the minimisation layer
masks. The exit masking (:meth:`fusioncell.security.minimise.Minimiser.mask_text`)
stays as the second line of defence for free text the case itself carries
(report texts, notes).

A handle is keyed by the case secret (:func:`~fusioncell.security.minimise.case_secret`):
the same identifier reads the same in every product of a case, and the
handle tells nothing about the number. It is the first six hex digits of
the identifier's pseudonym, so ``fusioncell unmask`` of the full pseudonym
(in the identifier fields next to the sentence) finds it.

>>> n = Namer(b"k")
>>> n("+523312345678", "partner")
"the partner's phone P-8e02d3"
>>> n("plate:JAL-123-A"), n("imei:356938035643809", "self")
('vehicle V-7cca63', "the target's handset H-95fe8b")
>>> "3312345678" in n.many("+523312345678, +525511112222")
False
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from fusioncell.security.minimise import _scheme, pseudonym

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.store import CaseStore

#: what an identifier of a scheme is called in a sentence, and the letter of its handle
KIND: dict[str, tuple[str, str]] = {
    "phone": ("phone", "P"),
    "imei": ("handset", "H"),
    "imsi": ("SIM", "S"),
    "plate": ("vehicle", "V"),
    "email": ("e-mail account", "E"),
    "account": ("account", "A"),
    "alias": ("alias", "N"),
}

#: an identifier standing in a phrase: an E.164 number or scheme:value of a scheme above
IDENT_RX = re.compile(r"(?<![\w+])\+\d{6,15}(?!\w)|(?<![\w:])(?:" + "|".join(KIND) + r"):[^\s,;()\[\]]+", re.IGNORECASE)

#: a role of the target's circle as a possessive
ROLE: dict[str, str] = {
    "self": "the target's",
    "partner": "the partner's",
    "partner?": "maybe the partner's",  # a candidate for an alias-only partner's number, not known to be hers
    "meets": "a contact's (meets him)",
    "associate": "an associate's",
    "works_for": "an employer's",
    "family": "a relative's",
    "contact": "a frequent contact's",
    "tracked": "a tracked",
}


class Namer:
    """Names identifiers in sentences by role and keyed handle.

    Parameters
    ----------
    key
        The case secret (``case_secret(store)``), or any bytes in tests.
    roles
        An optional identifier → role map (a circle's members), used when a
        call gives no role.
    """

    def __init__(self, key: bytes, roles: Mapping[str, str] | None = None) -> None:
        self.key = key
        self.roles = dict(roles or {})

    @classmethod
    def of(cls, store: "CaseStore", roles: Mapping[str, str] | None = None) -> "Namer":
        """A namer keyed by ``store``'s case secret."""
        from fusioncell.security.minimise import case_secret

        return cls(case_secret(store), roles)

    def handle(self, identifier: str) -> str:
        """``P-7f3a9c``: the kind's letter and six hex digits of the pseudonym."""
        letter = KIND.get(_scheme(identifier), ("identifier", "I"))[1]
        return f"{letter}-{pseudonym(self.key, identifier).rsplit('-', 1)[1][:6]}"

    def __call__(self, identifier: str, role: str | None = None) -> str:
        """"the partner's phone P-7f3a9c", "vehicle V-01ab2c" — never the identifier."""
        kind = KIND.get(_scheme(identifier), ("identifier", "I"))[0]
        role = role or self.roles.get(identifier)
        owner = ROLE.get(role or "", f"a {role}'s" if role else "")
        return f"{owner} {kind} {self.handle(identifier)}".strip()

    def sentence(self, text: str, known: Iterable[str] = ()) -> str:
        """``text`` with every identifier in it named: the known ones (also with spaces) and any that looks like one.

        >>> Namer(b"k").sentence("report r-1 (B2), pickup seen with +523312345678")
        'report r-1 (B2), pickup seen with phone P-8e02d3'
        """
        spaced = sorted((k for k in known if " " in k and k in text), key=len, reverse=True)
        for k in spaced:
            text = text.replace(k, self(k))
        return IDENT_RX.sub(lambda m: self(m.group(0)), text)

    def many(self, identifiers: str | list[str], sep: str = ", ") -> str:
        """Several identifiers (a list, or one string joined by ``sep``) named and joined."""
        items = identifiers.split(sep) if isinstance(identifiers, str) else identifiers
        return sep.join(self(i.strip()) for i in items if i.strip())
