"""Dated rules (care guarantee, social-welfare and specialist-care deadlines) and regional
targets as data files (YAML), and their loader.

Every ``*.yaml`` here is read; a region adds files of the same shape in the directory named
by ``SOTEKESKUS_RULES_DIR`` (or passes ``extra_dirs``). The loaded book counts weekdays
without the Finnish public holidays (:mod:`sotekeskus.rules.calendar_fi`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml

from sotekeskus.config import load_settings
from sotekeskus.domain.rules import RuleBook, RuleError
from sotekeskus.rules.calendar_fi import FINNISH_HOLIDAYS

RULES_DIR = Path(__file__).parent


class _DatesAsText(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML loader that keeps dates as text, so that the rule parser validates them itself
    and can name the rule and the field of an impossible date such as 2023-02-30."""


_DatesAsText.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_file(path: Path) -> RuleBook:
    """Read one rule file: ``{kind: legal|target, rules: [...]}``."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleError(f"{path}: expected a mapping with a 'rules' list")
    try:
        return RuleBook.from_rows(data["rules"], default_kind=str(data.get("kind", "legal")))
    except RuleError as exc:
        raise RuleError(f"{path}: {exc}") from exc


def load_rulebook(extra_dirs: Iterable[Path] = ()) -> RuleBook:
    """The built-in rules plus every YAML file in ``extra_dirs`` and ``SOTEKESKUS_RULES_DIR``."""
    dirs = [RULES_DIR, *extra_dirs]
    dirs.extend(load_settings().rules_dirs)
    book = RuleBook(holidays=FINNISH_HOLIDAYS)
    for directory in dirs:
        for path in sorted(Path(directory).glob("*.yaml")):
            book = book.merged(load_file(path))
    return book


@lru_cache(maxsize=1)
def default_rulebook() -> RuleBook:
    """Built-in rules plus ``SOTEKESKUS_RULES_DIR``, read once per process."""
    return load_rulebook()
