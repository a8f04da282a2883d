"""The shipped **example** questionnaires (``care/data/questionnaires/``): each
``<id>.json`` (FHIR R4 Questionnaire) with its ``<id>.rules.yaml``. Example content — not
clinically validated; a region replaces it by uploading its own versions.

:func:`seed_examples` stores every example version that the store does not have yet
(url + version), so it is idempotent: migration 0009 runs it, ``sotekeskus demo`` runs it
again (a newer shipped version is added beside the old one, which stays).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from sotekeskus.care.questionnaires import store

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "questionnaires"
SHIPPED_BY = "sotekeskus (example content)"


def example_files(directory: Path = EXAMPLES_DIR) -> Iterator[tuple[Path, Path]]:
    """(questionnaire JSON, rules YAML) pairs, by file name."""
    for path in sorted(directory.glob("*.json")):
        yield path, path.with_name(path.name.removesuffix(".json") + ".rules.yaml")


def seed_examples(bind: Engine | Connection, directory: Path = EXAMPLES_DIR) -> int:
    """Store the example versions the store lacks; returns how many were added."""
    added = 0
    with Session(bind) as session:
        for q_path, rules_path in example_files(directory):
            q, _ = store.check_upload(q_path.read_bytes(), rules_path.read_bytes())
            if store.exists(session, q.url, q.version):
                continue
            store.save_version(session, q_path.read_bytes(),
                               rules_path.read_text(encoding="utf-8"), by=SHIPPED_BY,
                               at=datetime.now().replace(microsecond=0))
            added += 1
        session.commit()
    return added
