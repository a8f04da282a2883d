"""Outcome instruments as data: items, answer range, scoring and severity bands.

Shipped (free to use): PHQ-9, GAD-7 and WHO-5 (``data/instrument-*.yaml``, each file names
its source and licence). Licensed instruments (PROMIS-29, RAI) are not shipped: a region
loads its own file in the same format. Keys:

* ``id``, ``name`` (text or ``{fi, sv, en}``), ``items`` (number of items),
  ``item_min`` / ``item_max`` (the answer range of every item);
* ``score``: ``sum`` (the item answers added up, times ``multiplier``, default 1) or
  ``lookup`` (the raw sum looked up in ``lookup: {raw: score}``, e.g. a PROMIS T-score
  table — one instrument file per PROMIS domain);
* ``max_missing``: unanswered items allowed (their mean is then prorated into the sum,
  rounded half up); default 0;
* ``higher_is_better``, ``minimal_important_change`` (the change that counts as improved or
  worsened), ``bands``: ``[{max, label}]`` in increasing order covering the score range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sotekeskus.pathways.errors import RuleTableError

KEYS = {"id", "name", "items", "item_min", "item_max", "score", "multiplier", "lookup",
        "max_missing", "higher_is_better", "minimal_important_change", "bands"}


class AnswerError(ValueError):
    """Answers that the instrument cannot score (the message says why)."""


@dataclass(frozen=True)
class Instrument:
    id: str
    names: dict[str, str]
    items: int
    item_min: int
    item_max: int
    method: str  # "sum" or "lookup"
    multiplier: float
    lookup: dict[int, float]
    max_missing: int
    higher_is_better: bool
    minimal_important_change: float
    bands: tuple[tuple[float, str], ...]
    source: str

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names.get("en") or self.id

    def score(self, answers: Sequence[int | None]) -> float:
        """The instrument's score of one completed form (``None`` = unanswered item)."""
        if len(answers) != self.items:
            raise AnswerError(f"{self.id} has {self.items} items, got {len(answers)} answers")
        missing = sum(a is None for a in answers)
        if missing > self.max_missing:
            raise AnswerError(f"{self.id}: {missing} unanswered item(s), at most "
                              f"{self.max_missing} allowed")
        given = [a for a in answers if a is not None]
        for i, a in enumerate(answers, start=1):
            if a is not None and not self.item_min <= a <= self.item_max:
                raise AnswerError(f"{self.id} item {i}: {a} is outside "
                                  f"{self.item_min}–{self.item_max}")
        raw = Decimal(sum(given))
        if missing:
            raw = (raw * self.items / len(given)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        if self.method == "lookup":
            return self.lookup[int(raw)]
        return float(raw * Decimal(str(self.multiplier)))

    def band(self, score: float) -> str:
        for upper, label in self.bands:
            if score <= upper:
                return label
        return self.bands[-1][1]

    def change_class(self, baseline: float, follow_up: float) -> str:
        """``improved`` / ``worsened`` by at least the minimal important change, else
        ``unchanged`` (direction by ``higher_is_better``)."""
        delta = follow_up - baseline if self.higher_is_better else baseline - follow_up
        if delta >= self.minimal_important_change:
            return "improved"
        if -delta >= self.minimal_important_change:
            return "worsened"
        return "unchanged"


def shipped_instruments() -> dict[str, Instrument]:
    """PHQ-9, GAD-7 and WHO-5."""
    base = resources.files("sotekeskus.pathways").joinpath("data")
    out = {}
    for entry in sorted(base.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("instrument-") and entry.name.endswith(".yaml"):
            inst = parse_instrument(yaml.safe_load(entry.read_text(encoding="utf-8")),
                                    f"sotekeskus/pathways/data/{entry.name}")
            out[inst.id] = inst
    return out


def load_instrument(path: str | Path) -> Instrument:
    """A region's own instrument file (e.g. its licensed PROMIS-29 domain tables)."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleTableError(f"{path}: cannot read the instrument: {exc}") from exc
    return parse_instrument(doc, str(path))


def parse_instrument(doc: Any, source: str) -> Instrument:
    if not isinstance(doc, dict):
        raise RuleTableError(f"{source}: expected a mapping")
    unknown = set(doc) - KEYS
    if unknown:
        raise RuleTableError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}; "
                             f"allowed: {', '.join(sorted(KEYS))}")

    def whole(key: str, minimum: int, default: int | None = None) -> int:
        value = doc.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise RuleTableError(f"{source}: {key} {value!r} is not a whole number ≥ {minimum}")
        return value

    iid = doc.get("id")
    if not isinstance(iid, str) or not iid.replace("_", "").isalnum() or iid != iid.lower():
        raise RuleTableError(f"{source}: id {iid!r} must be lower-case letters, digits, _")
    items, lo, hi = whole("items", 1), whole("item_min", 0), whole("item_max", 0)
    if hi <= lo:
        raise RuleTableError(f"{source}: item_max {hi} must exceed item_min {lo}")
    method = doc.get("score", "sum")
    if method not in ("sum", "lookup"):
        raise RuleTableError(f"{source}: score {method!r}: use sum or lookup")
    lookup: dict[int, float] = {}
    if method == "lookup":
        table = doc.get("lookup")
        if not isinstance(table, dict):
            raise RuleTableError(f"{source}: score lookup needs a table lookup: {{raw: score}}")
        lookup = {int(k): float(v) for k, v in table.items()}
        missing = [r for r in range(items * lo, items * hi + 1) if r not in lookup]
        if missing:
            raise RuleTableError(f"{source}: the lookup table lacks raw score(s) "
                                 f"{', '.join(map(str, missing[:10]))}")
    bands_doc = doc.get("bands") or []
    if not isinstance(bands_doc, list) or not bands_doc:
        raise RuleTableError(f"{source}: bands: a list of {{max, label}} is required")
    bands = []
    for b in bands_doc:
        if not isinstance(b, dict) or "max" not in b or "label" not in b:
            raise RuleTableError(f"{source}: band {b!r}: needs max and label")
        bands.append((float(b["max"]), str(b["label"])))
    if [b[0] for b in bands] != sorted(b[0] for b in bands):
        raise RuleTableError(f"{source}: bands must be in increasing order of max")
    names = doc.get("name") or iid
    if isinstance(names, str):
        names = {"fi": names, "sv": names, "en": names}
    multiplier = doc.get("multiplier", 1)
    if isinstance(multiplier, bool) or not isinstance(multiplier, int | float) or multiplier <= 0:
        raise RuleTableError(f"{source}: multiplier {multiplier!r} must be a positive number")
    change = doc.get("minimal_important_change", 0)
    if isinstance(change, bool) or not isinstance(change, int | float) or change < 0:
        raise RuleTableError(f"{source}: minimal_important_change {change!r} must be ≥ 0")
    return Instrument(
        id=iid, names={str(k): str(v) for k, v in names.items()}, items=items, item_min=lo,
        item_max=hi, method=method, multiplier=float(multiplier), lookup=lookup,
        max_missing=whole("max_missing", 0, 0),
        higher_is_better=bool(doc.get("higher_is_better", True)),
        minimal_important_change=float(change), bands=tuple(bands), source=source)
