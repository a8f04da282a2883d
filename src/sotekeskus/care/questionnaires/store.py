"""Questionnaire versions and responses in the store.

A version is identified by ``url`` + ``version`` (unique); uploading a version that exists is
refused, so a stored response always finds the exact questionnaire and rules it answered.
"Current" is the most recently uploaded (highest row id) ``active`` version of a url.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.care.questionnaires import parse, rules
from sotekeskus.care.questionnaires.errors import QuestionnaireError, UnknownQuestionnaire
from sotekeskus.care.questionnaires.model import Questionnaire
from sotekeskus.care.questionnaires.rules import RuleSet
from sotekeskus.store.models import QuestionnaireResponseRow, QuestionnaireVersion


@dataclass(frozen=True, slots=True)
class Stored:
    """A stored version, parsed: its row id, the questionnaire and its rules."""

    pk: int
    questionnaire: Questionnaire
    rules: RuleSet
    uploaded_by: str
    uploaded_at: datetime


@lru_cache(maxsize=64)
def _parsed(pk: int, resource: str, rules_text: str) -> tuple[Questionnaire, RuleSet]:
    q = parse.loads(resource)
    return q, rules.loads(rules_text, q)


def stored(row: QuestionnaireVersion) -> Stored:
    q, r = _parsed(row.id, row.resource, row.rules)
    return Stored(row.id, q, r, row.uploaded_by, row.uploaded_at)


def check_upload(resource_text: str | bytes,
                 rules_text: str | bytes) -> tuple[Questionnaire, RuleSet]:
    """Parse and check a questionnaire and its rules together (nothing is stored)."""
    q = parse.loads(resource_text)
    return q, rules.loads(rules_text, q)


def save_version(session: Session, resource_text: str | bytes, rules_text: str | bytes, *,
                 by: str, at: datetime) -> QuestionnaireVersion:
    """Store a new version; :class:`QuestionnaireError` / :class:`RulesError` for a bad one
    or when this url + version is already stored (a new version needs a new number)."""
    q, _ = check_upload(resource_text, rules_text)
    if exists(session, q.url, q.version):
        raise QuestionnaireError(f"Questionnaire.version: {q.url} version {q.version} is "
                                 "already stored; give the new one a new version")
    text = (rules_text.decode("utf-8") if isinstance(rules_text, bytes) else rules_text)
    row = QuestionnaireVersion(
        url=q.url, version=q.version, fhir_id=q.id, status=q.status, title=q.title("fi")[:300],
        resource=json.dumps(q.resource, ensure_ascii=False, sort_keys=True), rules=text,
        uploaded_by=by[:100], uploaded_at=at)
    session.add(row)
    session.flush()
    return row


def exists(session: Session, url: str, version: str) -> bool:
    return session.scalar(select(func.count()).select_from(QuestionnaireVersion).where(
        QuestionnaireVersion.url == url, QuestionnaireVersion.version == version)) > 0


def by_pk(session: Session, pk: int) -> Stored:
    row = session.get(QuestionnaireVersion, pk)
    if row is None:
        raise UnknownQuestionnaire(f"no questionnaire version {pk}")
    return stored(row)


def version_of(session: Session, url: str, version: str) -> Stored:
    row = session.scalar(select(QuestionnaireVersion).where(
        QuestionnaireVersion.url == url, QuestionnaireVersion.version == version))
    if row is None:
        raise UnknownQuestionnaire(f"no questionnaire {url} version {version}")
    return stored(row)


def current(session: Session, *, url: str | None = None, fhir_id: str | None = None) -> Stored:
    """The newest active version of a url (or of a Questionnaire.id)."""
    query = select(QuestionnaireVersion).where(QuestionnaireVersion.status == "active")
    if url is not None:
        query = query.where(QuestionnaireVersion.url == url)
    elif fhir_id is not None:
        query = query.where(QuestionnaireVersion.fhir_id == fhir_id)
    else:
        raise ValueError("current: give url or fhir_id")
    row = session.scalar(query.order_by(QuestionnaireVersion.id.desc()).limit(1))
    if row is None:
        raise UnknownQuestionnaire(f"no active questionnaire {url or fhir_id}")
    return stored(row)


def rows(session: Session, url: str | None = None,
         version: str | None = None) -> list[QuestionnaireVersion]:
    """Stored versions (all, or of one url / version), newest first within a url."""
    query = select(QuestionnaireVersion)
    if url is not None:
        query = query.where(QuestionnaireVersion.url == url)
    if version is not None:
        query = query.where(QuestionnaireVersion.version == version)
    return list(session.scalars(query.order_by(QuestionnaireVersion.url,
                                               QuestionnaireVersion.id.desc())))


def current_all(session: Session) -> list[Stored]:
    """The current (newest active) version of every url, by title."""
    seen: dict[str, QuestionnaireVersion] = {}
    for row in rows(session):
        if row.status == "active" and row.url not in seen:
            seen[row.url] = row
    return sorted((stored(r) for r in seen.values()), key=lambda s: s.questionnaire.title("fi"))


def response_counts(session: Session) -> dict[tuple[str, str], int]:
    """Responses per (url, version)."""
    return {(u, v): n for u, v, n in session.execute(
        select(QuestionnaireResponseRow.questionnaire_url,
               QuestionnaireResponseRow.questionnaire_version, func.count())
        .group_by(QuestionnaireResponseRow.questionnaire_url,
                  QuestionnaireResponseRow.questionnaire_version))}


def response_of_case(session: Session, case_id: int) -> QuestionnaireResponseRow | None:
    return session.scalar(select(QuestionnaireResponseRow)
                          .where(QuestionnaireResponseRow.case_id == case_id)
                          .order_by(QuestionnaireResponseRow.id.desc()).limit(1))


def outcome_counts(session: Session, url: str, version: str) -> dict[str, int]:
    """Responses of one version per outcome (emergencies included: they open no case)."""
    return {o: n for o, n in session.execute(
        select(QuestionnaireResponseRow.outcome, func.count())
        .where(QuestionnaireResponseRow.questionnaire_url == url,
               QuestionnaireResponseRow.questionnaire_version == version)
        .group_by(QuestionnaireResponseRow.outcome))}
