"""The form model of a questionnaire: typed items, answer options, ``enableWhen``.

Values of answers are Python values by item type: ``boolean`` → ``bool``, ``choice`` → the
option's code (``str``), ``integer`` → ``int``, ``decimal`` → ``float``, ``string``/``text``
→ ``str``, ``date`` → ``datetime.date``. Every answer is a tuple of values (one value unless
the item ``repeats``). ``Answers`` maps linkId → values; an unanswered question is absent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

LANGUAGES = ("fi", "sv", "en")
#: Item types the form model supports (a subset of R4's QuestionnaireItemType).
ITEM_TYPES = ("group", "display", "boolean", "choice", "integer", "decimal", "string", "text",
              "date")
#: Item types that take an answer.
ANSWERABLE = ("boolean", "choice", "integer", "decimal", "string", "text", "date")
#: enableWhen operators (R4 QuestionnaireItemOperator).
OPERATORS = ("exists", "=", "!=", ">", "<", ">=", "<=")

Value = bool | str | int | float | date
Answers = Mapping[str, tuple[Value, ...]]


@dataclass(frozen=True, slots=True)
class Text:
    """A text in fi / sv / en (the resource's own language plus its translations)."""

    values: Mapping[str, str]

    def __call__(self, lang: str) -> str:
        return self.values.get(lang) or self.values.get("fi") or next(
            iter(self.values.values()), "")

    def __bool__(self) -> bool:
        return bool(self.values)


@dataclass(frozen=True, slots=True)
class Option:
    """An answer option (``answerOption.valueCoding``)."""

    code: str
    system: str | None
    display: Text


@dataclass(frozen=True, slots=True)
class Condition:
    """One ``enableWhen``: ``question`` (a linkId) ``operator`` ``answer``."""

    question: str
    operator: str
    answer: Value


@dataclass(frozen=True, slots=True)
class Item:
    link_id: str
    type: str
    text: Text
    required: bool = False
    repeats: bool = False
    options: tuple[Option, ...] = ()
    enable_when: tuple[Condition, ...] = ()
    enable_behavior: str = "all"
    items: tuple[Item, ...] = ()
    max_length: int | None = None

    @property
    def answerable(self) -> bool:
        return self.type in ANSWERABLE

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)

    def walk(self) -> Iterator[Item]:
        yield self
        for child in self.items:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """A parsed questionnaire version. ``resource`` is the FHIR JSON as stored."""

    id: str
    url: str
    version: str
    status: str
    title: Text
    description: Text
    language: str
    items: tuple[Item, ...]
    resource: Mapping[str, Any] = field(repr=False, default_factory=dict)

    def walk(self) -> Iterator[Item]:
        for item in self.items:
            yield from item.walk()

    def item(self, link_id: str) -> Item:
        for item in self.walk():
            if item.link_id == link_id:
                return item
        raise KeyError(link_id)

    def pages(self) -> list[tuple[Item, ...]]:
        """The steps of the form: each top-level group is a page; consecutive top-level
        questions outside groups share a page."""
        pages: list[tuple[Item, ...]] = []
        loose: list[Item] = []
        for item in self.items:
            if item.type == "group":
                if loose:
                    pages.append(tuple(loose))
                    loose = []
                pages.append((item,))
            else:
                loose.append(item)
        if loose:
            pages.append(tuple(loose))
        return pages

    @property
    def canonical(self) -> str:
        """``url|version``: how a QuestionnaireResponse names the version it answers."""
        return f"{self.url}|{self.version}"
