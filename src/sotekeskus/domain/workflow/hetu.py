"""The Finnish personal identity code (henkilötunnus, HETU): ``DDMMYYCZZZQ``.

* ``DDMMYY``: birth date; ``C``: century sign (``+`` 1800s; ``-``, ``Y``, ``X``, ``W``,
  ``V``, ``U`` 1900s; ``A``, ``B``, ``C``, ``D``, ``E``, ``F`` 2000s);
* ``ZZZ``: individual number 002–899 for real persons; **900–999 are test identities**
  (synthetic residents use only these, so a synthetic code is never a real person's);
* ``Q``: check character = ``int(DDMMYYZZZ) % 31`` mapped through
  ``0123456789ABCDEFHJKLMNPRSTUVWXY``.

:func:`parse_hetu` validates all of it (format, date, century sign, check character) and
derives the birth date; :class:`HetuError` names what is wrong without echoing the code in
full (a personal identity code does not belong in logs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURIES: dict[str, int] = {"+": 1800, **{s: 1900 for s in "-YXWVU"},
                             **{s: 2000 for s in "ABCDEF"}}
#: The individual numbers reserved for test identities (synthetic residents).
TEST_RANGE = range(900, 1000)


class HetuError(ValueError):
    """Not a valid personal identity code; the message says which part is wrong."""


@dataclass(frozen=True, slots=True)
class Hetu:
    code: str
    birth_date: date
    individual_number: int

    @property
    def is_test_identity(self) -> bool:
        """Individual number 900–999: a test identity, never a real person."""
        return self.individual_number in TEST_RANGE

    @property
    def masked(self) -> str:
        """The birth-date part only (``DDMMYYC****``), for screens that need no more."""
        return self.code[:7] + "****"


def check_character(digits: str) -> str:
    """The check character of the nine digits ``DDMMYYZZZ``."""
    return CHECK_CHARACTERS[int(digits) % 31]


def parse_hetu(text: str) -> Hetu:
    """Validate ``text`` (upper-cased, surrounding spaces removed) as a HETU."""
    code = text.strip().upper()
    if len(code) != 11:
        raise HetuError(f"a personal identity code has 11 characters, not {len(code)}")
    day, sign, number, check = code[:6], code[6], code[7:10], code[10]
    if not (day.isascii() and day.isdigit()):
        raise HetuError("the first six characters must be the birth date DDMMYY")
    if sign not in CENTURIES:
        raise HetuError(f"unknown century sign {sign!r}; allowed: {' '.join(CENTURIES)}")
    if not (number.isascii() and number.isdigit()):
        raise HetuError("characters 8–10 must be the individual number (digits)")
    try:
        born = date(CENTURIES[sign] + int(day[4:6]), int(day[2:4]), int(day[0:2]))
    except ValueError:
        raise HetuError("the birth date DDMMYY is not a real date") from None
    individual = int(number)
    if individual < 2:
        raise HetuError("individual numbers 000 and 001 are not used")
    expected = check_character(day + number)
    if check != expected:
        raise HetuError("the check character does not match (a mistyped digit?)")
    return Hetu(code, born, individual)


def make_hetu(birth_date: date, individual_number: int) -> str:
    """The code of ``birth_date`` and ``individual_number`` (century signs ``+``, ``-``,
    ``A``). Used to create synthetic residents with numbers 900–999."""
    if not 2 <= individual_number <= 999:
        raise HetuError("the individual number is 002–999")
    signs = {1800: "+", 1900: "-", 2000: "A"}
    century = birth_date.year // 100 * 100
    if century not in signs:
        raise HetuError("birth year outside 1800–2099")
    digits = f"{birth_date:%d%m}{birth_date.year % 100:02d}{individual_number:03d}"
    return f"{digits[:6]}{signs[century]}{digits[6:]}{check_character(digits)}"


def synthetic_hetu(birth_date: date, individual_number: int) -> str:
    """A test-identity code (individual number 900–999 only)."""
    if individual_number not in TEST_RANGE:
        raise HetuError("synthetic residents use individual numbers 900–999")
    return make_hetu(birth_date, individual_number)
