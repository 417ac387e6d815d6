"""Vehicle descriptions: "white pickup, Toyota Hilux" as comparable attributes.

Wide-area and night imagery sees a vehicle's type and colour, not its plate;
informants describe the vehicle a person drives. Neither alone identifies
anything, but a description that matches on several attributes is evidence,
and repeated weak matches add up. This module turns free text (English or
Spanish) into a :class:`Descriptor` and compares two descriptors.

The probability that two descriptions name the same vehicle follows Bayes
with a small prior (``PRIOR_SAME``) and the chance that a *random* vehicle
matches on each attribute (``BASE_RATE``): matching on a rare model says
more than matching on "white"; a make implied by the model counts once, and
one attribute in common is never enough. Any attribute that both descriptions state
and that differs rules the match out.

>>> a = describe("Informant: she drives a white pickup, Toyota Hilux")
>>> b = describe("camioneta pick-up blanca, posible Hilux, placa ilegible")
>>> (a.colour, a.kind, a.make, a.model) == ("white", "pickup", "toyota", "hilux")
True
>>> round(p_same(a, b), 2)
0.74
>>> p_same(a, describe("red sedan"))
0.0
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

COLOURS = {
    "white": ("white", "blanca", "blanco"), "black": ("black", "negra", "negro"), "red": ("red", "roja", "rojo"),
    "grey": ("grey", "gray", "gris"), "silver": ("silver", "plata", "plateada", "plateado"),
    "blue": ("blue", "azul"), "green": ("green", "verde"), "beige": ("beige", "arena"),
    "brown": ("brown", "cafe", "marron"), "yellow": ("yellow", "amarilla", "amarillo"),
    "gold": ("gold", "dorada", "dorado"), "orange": ("orange", "naranja"),
}
KINDS = {
    "pickup": ("pickup", "pick-up", "pick up", "camioneta de carga", "troca"),
    "suv": ("suv", "camioneta", "todoterreno", "4x4"),
    "sedan": ("sedan", "car", "auto", "coche", "carro"),
    "van": ("van", "furgoneta", "minivan"), "truck": ("truck", "camion"),
    "motorcycle": ("motorcycle", "moto", "motocicleta"),
}
MAKES = ("toyota", "nissan", "ford", "chevrolet", "dodge", "ram", "jeep", "volkswagen", "honda", "mazda", "kia",
         "hyundai", "gmc", "cadillac", "mitsubishi", "suzuki", "bmw", "mercedes", "audi", "lincoln")
MODELS = {
    "hilux": "toyota", "tacoma": "toyota", "tundra": "toyota", "4runner": "toyota", "land cruiser": "toyota",
    "frontier": "nissan", "np300": "nissan", "tsuru": "nissan", "sentra": "nissan", "versa": "nissan",
    "x-trail": "nissan", "ranger": "ford", "lobo": "ford", "f-150": "ford", "f150": "ford", "explorer": "ford",
    "silverado": "chevrolet", "cheyenne": "chevrolet", "suburban": "chevrolet", "tahoe": "chevrolet",
    "aveo": "chevrolet", "ram 2500": "ram", "durango": "dodge", "wrangler": "jeep", "cherokee": "jeep",
    "jetta": "volkswagen", "vento": "volkswagen", "crv": "honda", "cr-v": "honda", "yukon": "gmc",
    "escalade": "cadillac", "l200": "mitsubishi",
}
#: Chance that a random vehicle in the region has the attribute value (for the likelihood ratio).
BASE_RATE = {"colour": 0.2, "kind": 0.3, "make": 0.15, "model": 0.03}
PRIOR_SAME = 0.005  # a vehicle seen somewhere is rarely the one described


@dataclass(frozen=True, slots=True)
class Descriptor:
    colour: str | None = None
    kind: str | None = None
    make: str | None = None
    model: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.colour or self.kind or self.make or self.model)

    def __str__(self) -> str:
        return " ".join(x for x in (self.colour, self.make, self.model, self.kind) if x) or "unspecified vehicle"


def _fold(text: str) -> str:
    t = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in t if not unicodedata.combining(c))


def _find(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(r"(?<![a-z0-9])" + re.escape(w) + r"(?![a-z0-9])", text) for w in words)


def describe(text: str | None) -> Descriptor:
    """Attributes named in a free-text description (first match of each kind)."""
    if not text:
        return Descriptor()
    t = _fold(text)
    colour = next((c for c, ws in COLOURS.items() if _find(t, ws)), None)
    model = next((m for m in MODELS if _find(t, (m,))), None)
    make = MODELS[model] if model else next((m for m in MAKES if _find(t, (m,))), None)
    kind = next((k for k, ws in KINDS.items() if _find(t, ws)), None)
    if kind is None and model in ("hilux", "tacoma", "tundra", "frontier", "np300", "ranger", "lobo", "f-150",
                                  "f150", "silverado", "cheyenne", "ram 2500", "l200"):
        kind = "pickup"
    return Descriptor(colour, kind, make, model)


def p_same(a: Descriptor, b: Descriptor) -> float:
    """Probability that the two descriptions name the same vehicle (0 on any contradiction)."""
    lr = 1.0
    shared = 0
    for attr, rate in BASE_RATE.items():
        x, y = getattr(a, attr), getattr(b, attr)
        if x is None or y is None:
            continue
        if attr == "make" and a.model is not None and a.model == b.model:
            continue  # the model implies the make: count it once
        if x != y:
            # "suv" and "pickup" are both "camioneta" in Spanish: a kind mismatch only weakens
            if attr == "kind" and {x, y} <= {"suv", "pickup"}:
                lr *= 0.5
                continue
            return 0.0
        lr /= rate
        shared += 1
    if shared < 2:  # one attribute in common ("white") identifies nothing
        return 0.0
    odds = PRIOR_SAME / (1.0 - PRIOR_SAME) * lr
    return float(odds / (1.0 + odds))
