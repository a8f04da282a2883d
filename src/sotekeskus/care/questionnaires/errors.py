"""Typed errors of the questionnaires: each names what is wrong and where."""

from __future__ import annotations

from dataclasses import dataclass


class QuestionnaireError(ValueError):
    """A questionnaire definition is invalid; the message names the linkId or element."""


class RulesError(ValueError):
    """An outcome-rules file is invalid; the message names the rule id and the field."""


class UnknownQuestionnaire(LookupError):
    """No stored questionnaire matches the url / version / id asked for."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad or missing answer: the question's ``link_id``, what is wrong, and the allowed
    values when the question has a closed list (choice, boolean)."""

    link_id: str
    message: str
    allowed: tuple[str, ...] = ()

    def __str__(self) -> str:
        tail = f"; allowed: {', '.join(self.allowed)}" if self.allowed else ""
        return f"{self.link_id}: {self.message}{tail}"


class AnswerError(ValueError):
    """Answers that cannot be accepted; ``problems`` lists each one by linkId."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems

    def by_link_id(self) -> dict[str, Problem]:
        return {p.link_id: p for p in self.problems}
