"""Languages of the web app: Babel catalogues (fi, sv, en), locale-aware formatting.

Source strings (msgids) are English. The ``.po`` catalogues under ``web/locale`` are the
source of truth; they are compiled in memory when the app starts (no ``.mo`` build step, so
a fresh clone runs as is). The language of the current request lives in a context variable
set by the app before rendering.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
LANGUAGE_NAMES = {"fi": "suomi", "sv": "svenska", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a string for extraction without translating it now."""
    return message


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of one language (compiled from its ``.po`` in memory)."""
    path = po_path(language)
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def gettext_(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


_: Callable[[str], str] = gettext_


def pick_language(*candidates: str | None, accept_language: str | None = None) -> str:
    """The first supported language among the candidates, then Accept-Language, then fi."""
    for cand in candidates:
        if cand in LANGUAGES:
            return cand  # type: ignore[return-value]
    if accept_language:
        for part in accept_language.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=8)
def _parsed_locale(language: str) -> Locale:
    return Locale.parse(language)


def _locale() -> Locale:
    """The request's locale (parsed once per language: a page formats hundreds of values)."""
    return _parsed_locale(current_language.get())


@lru_cache(maxsize=4096)
def _format_day(value: date, fmt: str, language: str) -> str:
    return format_date(value, format=fmt, locale=_parsed_locale(language))


def fmt_int(value: int | float | str | None) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        return value  # e.g. "<5"
    return format_decimal(value, format="#,##0", locale=_locale())


def fmt_num(value: float | int | str | None, digits: int = 1) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        return value
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=_locale())


def fmt_pct(value: float | int | str | None, digits: int = 1) -> str:
    """A value already in percent (12.5 → "12,5 %" in Finnish)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        return value
    return fmt_num(value, digits) + "\u00a0%"


def fmt_date(value: date | datetime | str | None, fmt: str = "medium") -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return format_datetime(value, format="short", locale=_locale())
    return _format_day(value, fmt, current_language.get())


def fmt_month(value: str | None) -> str:
    """``"2025-03"`` → "maalisk. 2025" / "mars 2025" / "Mar 2025"."""
    if not value:
        return "–"
    if len(value) == 7 and value[4] == "-":
        return format_date(date.fromisoformat(value + "-01"), format="LLL y", locale=_locale())
    return value


def fmt_period(value: str | None) -> str:
    """Months as :func:`fmt_month`, quarters "2025-Q4" → "Q4/2025", years as is."""
    if not value:
        return "–"
    if len(value) == 7 and "-Q" in value:
        return f"Q{value[-1]}/{value[:4]}"
    return fmt_month(value)
