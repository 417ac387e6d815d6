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

import re
from functools import lru_cache
from typing import Iterable

import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers.phonemetadata import PhoneMetadata

from fusioncell.model.identifiers import IdentifierError, normalize_identifier

_PHONEISH = re.compile(r"^[\s+()\-.\d/]+$")
_SEPARATORS = str.maketrans("", "", " \t\r\n()-./")


def canonical_phone_key(text: str) -> str | None:
    """Digits with a leading ``+`` (``00`` read as ``+``), or None if not plainly a number."""
    if not _PHONEISH.match(text):
        return None
    key = text.translate(_SEPARATORS)
    if key.startswith("00"):
        key = "+" + key[2:]
    digits = key[1:] if key.startswith("+") else key
    if not digits.isdigit() or len(digits) < 5:
        return None
    return key


@lru_cache(maxsize=None)
def _meta(region: str) -> PhoneMetadata | None:
    return PhoneMetadata.metadata_for_region(region)


@lru_cache(maxsize=None)
def _main_meta(cc: int) -> PhoneMetadata | None:
    region = phonenumbers.region_code_for_country_code(cc)
    return _meta(region) if region and region != "ZZ" else None


def _plain_national(national: str, parse_meta: PhoneMetadata, main_meta: PhoneMetadata) -> bool:
    """A national number that phonenumbers would keep as it is, with a possible length."""
    if not national or national[0] == "0":
        return False
    nppp = parse_meta.national_prefix_for_parsing
    if nppp and re.match(nppp, national):
        return False
    desc = main_meta.general_desc
    return desc is not None and len(national) in (desc.possible_length or ())


def fast_e164(key: str, region: str | None) -> str | None:
    """The E.164 form of a canonical key when it is unambiguous, else None.

    Exactly what :func:`fusioncell.model.identifiers.normalize_phone` returns
    for the common shapes (``+<cc><national>`` or a national number of the
    region's usual length); anything a national prefix, an international
    dialling prefix, a leading zero or the country code could change is left
    to the full ``phonenumbers`` parse (None). ``tests/test_ingest_ids.py``
    checks the two agree on random numbers.
    """
    if key.startswith("+"):
        digits = key[1:]
        if digits[:1] == "0":
            return None
        for n in (1, 2, 3):
            cc = int(digits[:n])
            if cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                main = _main_meta(cc)
                if main is None:
                    return None
                return key if _plain_national(digits[n:], main, main) else None
        return None
    if not region:
        return None
    meta = _meta(region)
    if meta is None or meta.country_code is None:
        return None
    cc_text = str(meta.country_code)
    if key.startswith(cc_text):
        return None
    if meta.international_prefix and re.match(meta.international_prefix, key):
        return None
    main = _main_meta(meta.country_code)
    if main is None:
        return None
    return "+" + cc_text + key if _plain_national(key, meta, main) else None

def _plain_national_arrow(national: pa.Array, parse_meta: PhoneMetadata, main_meta: PhoneMetadata) -> pa.Array:
    """:func:`_plain_national` of every value of ``national`` (Arrow kernels; the metadata's patterns are
    written for RE2 too: libphonenumber's C++ build runs them on RE2)."""
    desc = main_meta.general_desc
    lengths = sorted(desc.possible_length or ()) if desc is not None else []
    ok = pc.and_(pc.greater(pc.utf8_length(national), 0),
                 pc.invert(pc.starts_with(national, "0")))
    ok = pc.and_(ok, pc.is_in(pc.utf8_length(national), pa.array(lengths or [-1], pa.int32())))
    nppp = parse_meta.national_prefix_for_parsing
    if nppp:  # re.match: anchored at the start only
        ok = pc.and_(ok, pc.invert(pc.match_substring_regex(national, f"^(?:{nppp})")))
    return pc.fill_null(ok, False)


def fast_e164_arrow(keys: pa.Array, region: str | None) -> pa.Array:
    """:func:`fast_e164` of every canonical key in ``keys`` (null where it answers None), with Arrow kernels:
    Python runs once per country code present, not once per number."""
    none = pa.nulls(len(keys), pa.string())
    if len(keys) == 0:
        return none
    out = none
    intl = pc.fill_null(pc.starts_with(keys, "+"), False)
    digits = pc.utf8_slice_codeunits(keys, 1)
    valid = pa.array(sorted(str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE), pa.string())
    intl = pc.and_(intl, pc.invert(pc.starts_with(digits, "0")))
    taken = pc.invert(intl)
    for n in (1, 2, 3):  # country codes are prefix-free: the first length that is one is the one
        head = pc.utf8_slice_codeunits(digits, 0, n)
        hit = pc.and_(pc.invert(taken), pc.is_in(head, valid))
        taken = pc.or_(taken, hit)
        if not pc.any(hit).as_py():
            continue
        for cc_text in pc.unique(pc.filter(head, hit)).to_pylist():
            main = _main_meta(int(cc_text))
            if main is None:
                continue
            mine = pc.and_(hit, pc.equal(head, cc_text))
            ok = pc.and_(mine, _plain_national_arrow(pc.utf8_slice_codeunits(digits, n), main, main))
            out = pc.if_else(ok, keys, out)
    meta = _meta(region) if region else None
    if meta is None or meta.country_code is None:
        return out
    main = _main_meta(meta.country_code)
    if main is None:
        return out
    cc_text = str(meta.country_code)
    national = pc.and_(pc.invert(pc.fill_null(pc.starts_with(keys, "+"), False)),
                       pc.invert(pc.starts_with(keys, cc_text)))
    if meta.international_prefix:
        national = pc.and_(national, pc.invert(pc.match_substring_regex(keys, f"^(?:{meta.international_prefix})")))
    ok = pc.and_(pc.fill_null(national, False), _plain_national_arrow(keys, meta, main))
    return pc.if_else(ok, pc.binary_join_element_wise(pa.scalar("+" + cc_text), keys, ""), out)


_SEPARATOR_CHARS = (" ", "\t", "\r", "\n", "(", ")", "-", ".", "/")


def _drop_separators(arr: pa.Array) -> pa.Array:
    """``arr`` without the separators :func:`canonical_phone_key` drops: a plain replace for each one that
    occurs in the array's character data (found at ``memchr`` speed; a byte of the buffer outside the array
    only costs a needless replace), a third of the cost of one regular expression replace over ~800k spellings."""
    data = arr.buffers()[2] if isinstance(arr, pa.StringArray) else None
    present = memoryview(data).tobytes() if data is not None else None
    out = arr
    for ch in _SEPARATOR_CHARS:
        if present is not None and ch.encode() not in present:
            continue
        out = pc.replace_substring(out, ch, "")
    return out


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
        self._by_key: dict[str, str] = {}

    def normalize(self, raw: str) -> tuple[str | None, str | None, str | None]:
        """``(identifier, scheme, error)`` of one raw value; error is a user message."""
        hit = self._cache.get(raw)
        if hit is not None:
            return hit
        text = raw.strip()
        key = canonical_phone_key(text) if text not in self.entity_ids else None
        if key is not None:
            # Spellings of one number share a key: parse each number once.
            e164 = self._by_key.get(key)
            if e164 is None:
                e164 = fast_e164(key, self.region)
            if e164 is not None:
                self._by_key[key] = e164
                out0: tuple[str | None, str | None, str | None] = (e164, "phone", None)
                self._cache[raw] = out0
                return out0
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
        if key is not None and out[0] is not None:
            self._by_key[key] = out[0]
        self._cache[raw] = out
        return out

    def _hard_keys(self, arr: pa.Array, key: pa.Array, missing: pa.Array, ident: pa.Array) -> pa.Array:
        """``ident`` with the plain numbers :func:`fast_e164` left open (``missing``) read by key: a key read
        before (``_by_key``), else the full ``phonenumbers`` parse of one spelling of it (the last in ``arr``);
        still None (an error) is redone per spelling by the caller."""
        keys, raws = pc.filter(key, missing).to_pylist(), pc.filter(arr, missing).to_pylist()
        last_raw = dict(zip(keys, raws))
        answer = {k: self._by_key.get(k) for k in last_raw}
        for k, e in answer.items():
            if e is None:
                answer[k] = self.normalize(last_raw[k])[0]
        filled = [answer[k] for k in keys]
        out = ident.to_pylist()
        for i, e in zip(pc.indices_nonzero(missing).to_pylist(), filled):
            out[i] = e
        return pa.array(out, pa.string())

    def map_values(self, raws: Iterable[str | None] | pa.Array | pa.ChunkedArray, distinct: bool = False) -> pa.Table:
        """The mapping table ``(raw, identifier, scheme, error)`` of distinct raw values.

        Plain phone numbers (only digits, ``+`` and the separators
        ``canonical_phone_key`` drops) are keyed with vectorised Arrow kernels
        and read once per *key* (the spellings ``33 1234 5678``,
        ``3312345678`` ... of one number share it); everything else, and every
        key that does not read as a number, goes through :meth:`normalize` one
        raw value at a time, exactly as before. ``distinct``: the caller's
        values are already distinct and not null (a ``SELECT DISTINCT``).
        """
        arr = raws if isinstance(raws, (pa.Array, pa.ChunkedArray)) else pa.array(list(raws), pa.string())
        if not distinct:
            arr = pc.unique(pc.drop_null(arr))
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        fast = pc.match_substring_regex(arr, r"^[ \t\r\n()\-./+0-9]+$")
        if self.entity_ids:
            is_entity = pc.is_in(pc.utf8_trim_whitespace(arr), pa.array(sorted(self.entity_ids), pa.string()))
            fast = pc.and_(fast, pc.invert(is_entity))
        key = _drop_separators(arr)
        zeros = pc.starts_with(key, "00")
        if pc.any(zeros).as_py():
            key = pc.if_else(zeros, pc.binary_join_element_wise("+", pc.utf8_slice_codeunits(key, 2), ""), key)
        fast = pc.fill_null(pc.and_(fast, pc.match_substring_regex(key, r"^\+?[0-9]{5,}$")), False)
        # fast_e164 is a function of the key alone: computed per value (Arrow kernels, no hashing of the
        # values; the keys were deduplicated first until session 17, which cost more than it saved)
        ident = fast_e164_arrow(pc.if_else(fast, key, pa.nulls(len(key), pa.string())), self.region)
        missing = pc.and_(fast, pc.is_null(ident))
        if pc.any(missing).as_py():
            ident = self._hard_keys(arr, key, missing, ident)
        slow = pc.is_null(ident)
        cols: dict[str, list[str | None]] = {"raw": [], "identifier": [], "scheme": [], "error": []}
        for raw in pc.filter(arr, slow).to_pylist():  # not plainly a number: one at a time
            i, sch, err = self.normalize(raw)
            cols["raw"].append(raw)
            cols["identifier"].append(i)
            cols["scheme"].append(sch)
            cols["error"].append(err)
        keep = pc.invert(slow)
        n_done = int(pc.sum(keep).as_py() or 0)
        done = pa.table({"raw": pc.filter(arr, keep), "identifier": pc.filter(ident, keep),
                         "scheme": pa.repeat(pa.scalar("phone"), n_done), "error": pa.nulls(n_done, pa.string())},
                        schema=MAP_SCHEMA)
        return pa.concat_tables([done, pa.table(cols, schema=MAP_SCHEMA)])
