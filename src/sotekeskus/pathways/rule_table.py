"""Reading the pathways' rule tables (conditions, segments): one reader for the shipped YAML
or a region's own file, and the checks every entry shares — its id, its keys and its name in
fi / sv / en. Each error is a :class:`RuleTableError` naming the file and the entry."""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sotekeskus.pathways.errors import RuleTableError

LANGUAGES = ("fi", "sv", "en")
_ID = re.compile(r"[a-z][a-z0-9_]*")


def read_table(path: str | Path | None, shipped: str, what: str) -> tuple[Any, str]:
    """The parsed YAML of ``path`` (a region's file) or of the shipped ``data/<shipped>``,
    and its source name for messages; ``what`` names the table in errors."""
    if path is None:
        text = resources.files("sotekeskus.pathways").joinpath("data", shipped).read_text(
            encoding="utf-8")
        source = f"sotekeskus/pathways/data/{shipped}"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleTableError(f"{path}: cannot read the {what}: {exc}") from exc
        source = str(path)
    try:
        return yaml.safe_load(text), source
    except yaml.YAMLError as exc:
        raise RuleTableError(f"{source}: not valid YAML: {exc}") from exc


def entry_id(value: Any, where: str, reserved: str | None = None) -> str:
    """An entry id: lower-case letters, digits and ``_`` (and not ``reserved``)."""
    if not isinstance(value, str) or not _ID.fullmatch(value) or value == reserved:
        also = f" (and not {reserved!r})" if reserved else ""
        raise RuleTableError(f"{where}: id {value!r} must be lower-case letters, digits "
                             f"and _{also}")
    return value


def check_unique(value: str, where: str, seen: set[str]) -> None:
    if value in seen:
        raise RuleTableError(f"{where}: the id appears twice")
    seen.add(value)


def check_keys(item: dict[str, Any], allowed: Iterable[str], where: str) -> None:
    allowed = tuple(allowed)
    unknown = set(item) - set(allowed)
    if unknown:
        raise RuleTableError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                             f"allowed: {', '.join(allowed)}")


def names(value: Any, where: str) -> dict[str, str]:
    """An entry's name: one text for every language, or a mapping ``{fi, sv, en}``."""
    value = value or {}
    if isinstance(value, str):
        return {lang: value for lang in LANGUAGES}
    if not isinstance(value, dict):
        raise RuleTableError(f"{where}: name must be text or {{fi, sv, en}}")
    return {str(k): str(v) for k, v in value.items()}
