"""Case states, allowed transitions and single ownership (operations.md, "The case").

```
new ──claim──▶ claimed ──assess──▶ assessed ──┬─ resolve ─▶ closed
                                              ├─ route ──▶ routed ──book──▶ booked ──visit──▶ closed
                                              ├─ book ───▶ booked (straight into a slot)
                                              └─ refer ──▶ closed
any open state ── cancel / no_show / merge ──▶ closed (with reason)
```

Ownership is orthogonal to the state: at most one owner at a time. ``claim`` takes an
unowned open case (from ``new`` it moves to ``claimed``; a ``routed`` or ``booked`` case
stays in its state — e.g. a physician takes a case from her service queue); ``release``
gives it up (``claimed`` goes back to ``new``); ``hand_over`` passes it from its owner to
another professional. Work on a case (assess, route, book, resolve, refer, visit, no-show)
requires being its owner, except that booked visits are completed by the professional of
the appointment. ``route`` hands the case to the service's queue: the owner is cleared.

Every transition is recorded as a new history row (who, when, from, to, why); nothing in a
case's history is ever edited. This module only answers *whether* a transition is allowed
and *where* it leads; the store enforces atomicity (conditional updates).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sotekeskus.domain.workflow.codes import CaseState, CloseReason


class Transition(StrEnum):
    OPEN = "open"  # the first row of every history (the contact); not a move
    CLAIM = "claim"
    RELEASE = "release"
    HAND_OVER = "hand_over"
    ASSESS = "assess"
    RESOLVE = "resolve"
    ROUTE = "route"
    REFER = "refer"
    BOOK = "book"
    VISIT = "visit"
    NO_SHOW = "no_show"
    CANCEL = "cancel"
    MERGE = "merge"
    REPLY = "reply"  # a message to the resident (chat, secure message); no state change
    UNBOOK = "unbook"  # the appointment was cancelled: back to the service's queue


class TransitionError(ValueError):
    """A transition not allowed from the case's state (or by this actor)."""


OPEN_STATES: frozenset[CaseState] = frozenset(s for s in CaseState if s is not CaseState.CLOSED)

#: from-state → target state, per transition (``None`` target: the state is kept).
_MOVES: dict[Transition, dict[CaseState, CaseState | None]] = {
    Transition.CLAIM: {CaseState.NEW: CaseState.CLAIMED, CaseState.CLAIMED: None,
                       CaseState.ASSESSED: None, CaseState.ROUTED: None,
                       CaseState.BOOKED: None},
    Transition.RELEASE: {CaseState.CLAIMED: CaseState.NEW, CaseState.ASSESSED: None,
                         CaseState.ROUTED: None, CaseState.BOOKED: None},
    Transition.HAND_OVER: {s: None for s in OPEN_STATES - {CaseState.NEW}},
    Transition.ASSESS: {CaseState.CLAIMED: CaseState.ASSESSED,
                        CaseState.ASSESSED: CaseState.ASSESSED,
                        CaseState.ROUTED: CaseState.ASSESSED},
    Transition.RESOLVE: {CaseState.ASSESSED: CaseState.CLOSED},
    Transition.REFER: {CaseState.ASSESSED: CaseState.CLOSED, CaseState.ROUTED: CaseState.CLOSED},
    Transition.ROUTE: {CaseState.ASSESSED: CaseState.ROUTED},
    Transition.BOOK: {CaseState.ASSESSED: CaseState.BOOKED, CaseState.ROUTED: CaseState.BOOKED},
    Transition.VISIT: {CaseState.BOOKED: CaseState.CLOSED},
    Transition.NO_SHOW: {CaseState.BOOKED: CaseState.CLOSED},
    Transition.CANCEL: {s: CaseState.CLOSED for s in OPEN_STATES},
    Transition.MERGE: {s: CaseState.CLOSED for s in OPEN_STATES},
    Transition.REPLY: {s: None for s in OPEN_STATES - {CaseState.NEW}},
    Transition.UNBOOK: {CaseState.BOOKED: CaseState.ROUTED},
}

#: The close reason each closing transition records.
CLOSE_REASONS: dict[Transition, CloseReason] = {
    Transition.RESOLVE: CloseReason.RESOLVED, Transition.REFER: CloseReason.REFERRED,
    Transition.VISIT: CloseReason.VISITED, Transition.NO_SHOW: CloseReason.NO_SHOW,
    Transition.CANCEL: CloseReason.CANCELLED, Transition.MERGE: CloseReason.MERGED,
}

#: Transitions that only the case's owner may make.
OWNER_ONLY: frozenset[Transition] = frozenset({
    Transition.RELEASE, Transition.HAND_OVER, Transition.ASSESS, Transition.RESOLVE,
    Transition.ROUTE, Transition.REFER, Transition.BOOK, Transition.REPLY,
})


@dataclass(frozen=True, slots=True)
class Move:
    """The outcome of an allowed transition."""

    transition: Transition
    from_state: CaseState
    to_state: CaseState
    close_reason: CloseReason | None


def allowed_from(transition: Transition) -> frozenset[CaseState]:
    """The states from which ``transition`` is allowed."""
    return frozenset(_MOVES[transition])


def move(state: CaseState, transition: Transition) -> Move:
    """Where ``transition`` takes a case in ``state``; :class:`TransitionError` if nowhere."""
    targets = _MOVES.get(transition, {})
    if state not in targets:
        allowed = ", ".join(sorted(s.value for s in targets)) or "none"
        raise TransitionError(f"cannot {transition.value} a case that is {state.value} "
                              f"(allowed from: {allowed})")
    target = targets[state] or state
    return Move(transition, state, target, CLOSE_REASONS.get(transition))


def check_owner(transition: Transition, owner: str | None, actor: str) -> None:
    """Single ownership: owner-only work needs the actor to own the case; a claim needs an
    unowned case. The message names who has it."""
    if transition is Transition.CLAIM:
        if owner is not None and owner != actor:
            raise TransitionError(f"the case is already claimed by {owner}")
        return
    if transition in OWNER_ONLY and owner != actor:
        who = f"claimed by {owner}" if owner else "not claimed by anyone"
        raise TransitionError(f"only the owner can {transition.value} this case; it is {who}")
