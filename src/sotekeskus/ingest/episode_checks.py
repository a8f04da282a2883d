"""The episode contract (``shared/docs/domain.md``, "Episode file") as DuckDB SQL: how each
value is read and which row-level rules it must meet. One definition, used by every reader.

Values (surrounding spaces are ignored; an empty field is an empty value):

* ids (``episode_id``, ``person_id``, ``unit_id``, v2 ``professional_id``): at most 64
  characters, no control characters (NUL, tab, line breaks, C1), and not ``nan`` / ``inf`` /
  ``infinity`` (what a spreadsheet or pandas writes for a missing number);
* date-times: strict ISO 8601 ``YYYY-MM-DDTHH:MM[:SS[.fraction]]`` (``T`` or one space),
  optionally ``Z`` or an offset ``±HH:MM`` / ``±HH`` between -14:00 and +14:00, which is
  converted to Finnish local time (Europe/Helsinki); a bare ``YYYY-MM-DD`` means midnight.
  Two-digit month, day, hour, minute and second; years 1900–2100. Stored to the second;
* ``birth_date``: ``YYYY-MM-DD``, years 1900–2100;
* codes exactly as in the vocabulary; ``plan_based`` / ``care_plan``: ``true`` / ``false``
  in any case (``plan_based`` empty = false; ``care_plan`` empty = not recorded);
* ``diagnosis_codes``: ``|``-separated ICD-10 codes (letter, two digits, optionally a dot
  and one or two more characters: ``E11``, ``E11.9``, ``E119``) or ICPC-2 codes (``T90``,
  process codes ``-30``), stored upper-cased without spaces.

Order checks compare **instants**: a value with an offset is one instant; a local time in
the repeated autumn hour (clocks back from 04:00 EEST to 03:00 EET) may be either of two
instants, and an order is refused only if it is wrong under both readings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sotekeskus.domain.vocabulary import CODES, CODES_V2, EPISODE_COLUMNS, EPISODE_COLUMNS_V2

LOCAL_TZ = "Europe/Helsinki"
MAX_ID_LENGTH = 64
MAX_DIAGNOSIS_LENGTH = 1000
YEAR_MIN, YEAR_MAX = 1900, 2100
ID_COLUMNS = ("episode_id", "person_id", "unit_id", "professional_id")
TIMESTAMP_COLUMNS = ("contact_at", "assessed_at", "visit_at")
ALL_CODES: dict[str, tuple[str, ...]] = {**CODES, **CODES_V2}
BOOL_COLUMNS = ("plan_based", "care_plan")

_CANONICAL = r"\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
_HMS = r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?"
_OFFSET = r"(Z|[+-]((0\d|1[0-3])(:[0-5]\d)?|14(:00)?))"
_ISO = rf"\d{{4}}-\d{{2}}-\d{{2}}([T ]{_HMS}{_OFFSET}?)?"
_WITH_OFFSET = rf"\d{{4}}-\d{{2}}-\d{{2}}[T ]{_HMS}{_OFFSET}"
_ANY_OFFSET = r".*\d(Z|[+-]\d+(:\d+)?)"  # looks like it has an offset (valid or not)
_DATE = r"\d{4}-\d{2}-\d{2}"
_CONTROL = r"[\x00-\x1f\x7f-\x9f]"
_NOT_A_NUMBER = r"[+-]?(nan|inf|infinity)"
_DIAGNOSIS = r"[A-Z]\d{2}(\.?[0-9A-Z]{1,2})?|-\d{2}"

TS_FORMAT = "YYYY-MM-DDTHH:MM:SS, optionally with Z or an offset such as +02:00"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Check:
    """One rule: ``condition`` (SQL over the parsed relation) is true for a violating row."""

    column: str
    condition: str
    message: str


def contract_columns(header: Sequence[str]) -> list[str]:
    """The contract columns of a (checked) header, in contract order (v1, then v2)."""
    present = set(header)
    return [c for c in (*EPISODE_COLUMNS, *EPISODE_COLUMNS_V2) if c in present]


def _trimmed(column: str) -> str:
    """The column's text without surrounding spaces ('' for NULL), copying only if needed."""
    return (f"CASE WHEN {column} IS NULL THEN '' WHEN {column} LIKE ' %' OR "
            f"{column} LIKE '% ' THEN trim({column}) ELSE {column} END")


def parse_sql(source: str, columns: Sequence[str], keep: Sequence[str] = ()) -> str:
    """A SELECT over ``source`` (text columns ``columns``) giving the trimmed text of each
    column (never NULL) plus the parsed values: ``<ts>__kind`` (0 empty, 1 local time,
    2 with offset, 9 not ISO 8601), ``<ts>__l`` (local time), ``<ts>__i`` (instant, offset
    values only), ``birth_date__d``; the columns ``keep`` pass through as they are."""
    trimmed = ", ".join([*(f"{_trimmed(c)} AS {c}" for c in columns), *keep])
    kinds = ", ".join(
        f"CASE WHEN {c} = '' THEN 0 WHEN regexp_full_match({c}, '{_CANONICAL}') THEN 1 "
        f"WHEN NOT regexp_full_match({c}, '{_ISO}') THEN 9 "
        f"WHEN regexp_full_match({c}, '{_WITH_OFFSET}') THEN 2 ELSE 1 END AS {c}__kind"
        for c in TIMESTAMP_COLUMNS if c in columns)
    parsed = []
    for c in TIMESTAMP_COLUMNS:
        if c in columns:
            instant = f"CASE WHEN {c}__kind = 2 THEN try_cast({c} AS TIMESTAMPTZ) END"
            parsed.append(f"{instant} AS {c}__i")
            parsed.append(
                f"CASE {c}__kind WHEN 1 THEN try_cast({c} AS TIMESTAMP) "
                f"WHEN 2 THEN timezone('{LOCAL_TZ}', {instant}) END AS {c}__l")
    if "birth_date" in columns:
        parsed.append(f"CASE WHEN regexp_full_match(birth_date, '{_DATE}') "
                      "THEN try_cast(birth_date AS DATE) END AS birth_date__d")
    text = f"SELECT {trimmed} FROM {source}"
    inner = f"SELECT *{', ' + kinds if kinds else ''} FROM ({text})"
    extra = (", " + ", ".join(parsed)) if parsed else ""
    return f"SELECT *{extra} FROM ({inner})"


def _bounds(col: str) -> tuple[str, str]:
    """Earliest and latest instant a parsed date-time column can mean (TIMESTAMPTZ SQL)."""
    i = f"timezone('{LOCAL_TZ}', {col}__l)"
    earlier = f"({i} - INTERVAL 1 HOUR)"
    later = f"({i} + INTERVAL 1 HOUR)"
    lo = (f"CASE WHEN {col}__kind = 2 THEN {col}__i "
          f"WHEN timezone('{LOCAL_TZ}', {earlier}) = {col}__l THEN {earlier} ELSE {i} END")
    hi = (f"CASE WHEN {col}__kind = 2 THEN {col}__i "
          f"WHEN timezone('{LOCAL_TZ}', {later}) = {col}__l THEN {later} ELSE {i} END")
    return lo, hi


def _ambiguous(col: str) -> str:
    """SQL: the local time may lie in the repeated autumn hour (a superset: 03:00–03:59 on
    any day of October; the clocks go back on its last Sunday). Elsewhere local times order
    as their instants do."""
    return f"(hour({col}__l) = 3 AND month({col}__l) = 10)"


def _before(later: str, earlier: str) -> str:
    """SQL: the ``later`` column's value is certainly before the ``earlier`` column's."""
    lo_earlier, _ = _bounds(earlier)
    _, hi_later = _bounds(later)
    return (f"{later}__l IS NOT NULL AND {earlier}__l IS NOT NULL AND "
            f"CASE WHEN {_ambiguous(later)} OR {_ambiguous(earlier)} "
            f"THEN {hi_later} < {lo_earlier} ELSE {later}__l < {earlier}__l END")


ORDER_RULES = (("assessed_at", "contact_at"), ("visit_at", "contact_at"),
               ("visit_at", "assessed_at"))


def checks(columns: Sequence[str]) -> list[Check]:
    """Every row-level rule that applies to a file with ``columns``, in column order."""
    present = set(columns)
    out: list[Check] = []

    def add(column: str, condition: str, message: str) -> None:
        if column in present:
            out.append(Check(column, condition, message))

    for col in columns:
        if EPISODE_COLUMNS.get(col, False):
            add(col, f"{col} = ''", "a value is required")
        if col in ID_COLUMNS:
            add(col, f"length({col}) > {MAX_ID_LENGTH}",
                f"longer than {MAX_ID_LENGTH} characters")
            add(col, f"regexp_matches({col}, '{_CONTROL}')",
                "contains a control character (NUL, tab, line break …); an id is printable "
                "text")
            add(col, f"regexp_full_match(lower({col}), '{_NOT_A_NUMBER}')",
                "not an id: nan / inf is what a spreadsheet writes for a missing number")
        if col in ALL_CODES:
            codes = ALL_CODES[col]
            value = f"lower({col})" if col in BOOL_COLUMNS else col
            allowed = ", ".join(_lit(c) for c in codes)
            add(col, f"{col} <> '' AND NOT list_contains([{allowed}], {value})",
                "unknown code; allowed: " + ", ".join(codes))
        if col == "birth_date":
            add(col, f"birth_date <> '' AND NOT regexp_full_match(birth_date, '{_DATE}')",
                "not a date YYYY-MM-DD")
            add(col, f"regexp_full_match(birth_date, '{_DATE}') AND birth_date__d IS NULL",
                "no such date")
            add(col, f"year(birth_date__d) NOT BETWEEN {YEAR_MIN} AND {YEAR_MAX}",
                f"year outside {YEAR_MIN}–{YEAR_MAX}")
        if col in TIMESTAMP_COLUMNS:
            add(col, f"{col}__kind = 9 AND regexp_full_match({col}, '{_ANY_OFFSET}') "
                f"AND regexp_full_match(regexp_replace({col}, '(Z|[+-][0-9:]+)$', ''), "
                f"'{_ISO}')",
                "UTC offset not allowed: use Z or ±HH:MM between -14:00 and +14:00")
            add(col, f"{col}__kind = 9 AND NOT (regexp_full_match({col}, '{_ANY_OFFSET}') "
                f"AND regexp_full_match(regexp_replace({col}, '(Z|[+-][0-9:]+)$', ''), "
                f"'{_ISO}'))",
                f"not an ISO 8601 date-time ({TS_FORMAT})")
            add(col, f"({col}__kind = 1 OR {col}__kind = 2) AND {col}__l IS NULL",
                "no such date or time of day")
            add(col, f"year({col}__l) NOT BETWEEN {YEAR_MIN} AND {YEAR_MAX}",
                f"year outside {YEAR_MIN}–{YEAR_MAX}")
        if col == "diagnosis_codes":
            add(col, f"diagnosis_codes <> '' AND (length(diagnosis_codes) > "
                f"{MAX_DIAGNOSIS_LENGTH} OR len(list_filter(str_split(diagnosis_codes, '|'), "
                f"x -> NOT regexp_full_match(upper(trim(x)), '{_DIAGNOSIS}'))) > 0)",
                "not a list of ICD-10 / ICPC-2 codes separated by | (e.g. E11.9|I10|T90)")
    # Rules between columns (all contract-v1 columns are always present).
    add("birth_date", "birth_date__d > CAST(contact_at__l AS DATE)",
        "birth_date is after contact_at")
    add("visit_at", "status = 'done' AND visit_at = ''", "status 'done' requires visit_at")
    messages = {("assessed_at", "contact_at"): "assessment before contact (contact_at is later)",
                ("visit_at", "contact_at"): "visit before contact (contact_at is later)",
                ("visit_at", "assessed_at"): "visit before assessment (assessed_at is later)"}
    for later, earlier in ORDER_RULES:
        add(later, _before(later, earlier), messages[(later, earlier)])
    return out


def typed_select(columns: Sequence[str]) -> str:
    """The SELECT list of a valid row's typed values (over :func:`parse_sql`)."""
    out = []
    for c in columns:
        if c in TIMESTAMP_COLUMNS:
            out.append(f"CAST(date_trunc('second', {c}__l) AS TIMESTAMP) AS {c}")
        elif c == "birth_date":
            out.append("birth_date__d AS birth_date")
        elif c == "plan_based":
            out.append("lower(plan_based) = 'true' AS plan_based")
        elif c == "care_plan":
            out.append("CASE WHEN care_plan <> '' THEN lower(care_plan) = 'true' END "
                       "AS care_plan")
        elif c == "diagnosis_codes":
            out.append("CASE WHEN diagnosis_codes <> '' THEN array_to_string(list_transform("
                       "str_split(diagnosis_codes, '|'), x -> upper(trim(x))), '|') END "
                       "AS diagnosis_codes")
        elif EPISODE_COLUMNS.get(c, False):
            out.append(c)
        else:  # optional text: empty = not recorded
            out.append(f"NULLIF({c}, '') AS {c}")
    return ", ".join(out)


def clean_sql(columns: Sequence[str]) -> str:
    """A cheap SQL test (over :func:`parse_sql`) that is true only for rows breaking no rule
    of :func:`checks`; rows it does not pass are then checked rule by rule."""
    parts = []
    for c in columns:
        required = EPISODE_COLUMNS.get(c, False)
        if c in ID_COLUMNS:  # printable ASCII, at most 64 characters (else: rule by rule)
            ok = (f"regexp_full_match({c}, '[ -~]{{1,{MAX_ID_LENGTH}}}') AND "
                  f"NOT regexp_full_match({c}, '(?i){_NOT_A_NUMBER}')")
        elif c in ALL_CODES:
            value = f"lower({c})" if c in BOOL_COLUMNS else c
            # list_contains, not IN: DuckDB would turn an IN list into a join
            ok = f"list_contains([{', '.join(_lit(v) for v in ALL_CODES[c])}], {value})"
        elif c == "birth_date":
            ok = (f"birth_date__d BETWEEN DATE '{YEAR_MIN}-01-01' AND DATE '{YEAR_MAX}-12-31'")
        elif c in TIMESTAMP_COLUMNS:
            ok = (f"{c}__kind <> 0 AND {c}__kind <> 9 AND {c}__l >= TIMESTAMP '{YEAR_MIN}-01-01' "
                  f"AND {c}__l < TIMESTAMP '{YEAR_MAX + 1}-01-01'")
        elif c == "diagnosis_codes":
            ok = (f"strlen({c}) <= {MAX_DIAGNOSIS_LENGTH} AND "
                  f"regexp_full_match({c}, '({_DIAGNOSIS})( ?\\| ?({_DIAGNOSIS}))*')")
        else:
            continue
        parts.append(f"({c} <> '' AND {ok})" if required else f"({c} = '' OR ({ok}))")
    parts.append("birth_date__d <= CAST(contact_at__l AS DATE)")
    parts.append("(status <> 'done' OR visit_at <> '')")
    for later, earlier in ORDER_RULES:
        parts.append(f"({later}__l IS NULL OR {earlier}__l IS NULL OR "
                     f"(NOT {_ambiguous(later)} AND NOT {_ambiguous(earlier)} "
                     f"AND {later}__l >= {earlier}__l))")
    return "coalesce(" + " AND ".join(parts) + ", false)"


def scan_sql(source: str, columns: Sequence[str]) -> str:
    """Typed values of every row of ``source``, plus ``__errors`` (the number of rules the
    row breaks) and, for rows with errors only, ``__raw`` (the trimmed texts, in
    ``columns`` order)."""
    rules = checks(columns)
    count = " + ".join(f"CAST(coalesce({r.condition}, false) AS INTEGER)" for r in rules)
    raw = f"CASE WHEN __errors > 0 THEN [{', '.join(columns)}] END AS __raw"
    return (f"SELECT {typed_select(columns)}, __errors, {raw} FROM ("
            f"SELECT *, CASE WHEN {clean_sql(columns)} THEN 0 ELSE {count} END AS __errors "
            f"FROM ({parse_sql(source, columns)}))")


def errors_sql(source: str, columns: Sequence[str]) -> str:
    """One row per broken rule of ``source`` (which has an ``__ordinal`` column):
    ``__ordinal, episode_id, column, value, message, rank`` (rank = column order)."""
    rules = checks(columns)
    parsed = parse_sql(source, columns, keep=["__ordinal"])
    parts = [
        f"SELECT CAST(__ordinal AS BIGINT) AS __ordinal, episode_id, {_lit(r.column)} AS col, "
        f"{r.column} AS val, {_lit(r.message)} AS msg, {i} AS rank "
        f"FROM parsed WHERE coalesce({r.condition}, false)"
        for i, r in enumerate(rules)]
    return f"WITH parsed AS ({parsed}) " + " UNION ALL ".join(parts)
