"""The workdesk's figures (``shared/docs/operations.md``, "Workdesk figures") for one day.

Definitions (day D; ``units`` limits every figure to cases of those units; times are the
store's local time):

* **contacts by channel and hour**: cases whose contact is on D, per channel and hour.
* **queue now** (at ``now``): open cases not yet assessed (``new``, ``claimed``) per
  channel; ``oldest_wait_min`` = minutes since the contact of the oldest one.
* **chat first reply**: chat cases contacted on D with a professional's reply;
  ``wait_min`` = first reply − contact in minutes; mean and 90th percentile (linear
  interpolation between order statistics); ``waiting`` = chats of D not yet answered.
* **call-back delay**: phone cases of D with a promised window (``callback_to``); the call
  back is the first professional reply, else the assessment; ``within_window`` = those
  called back by the window's end, ``late`` = called back after it, ``pending`` = not
  called back yet; ``mean_delay_min`` = mean minutes past the window's end over the late.
* **assessed the same day**: contacts of D whose assessment is on D ÷ contacts of D (%).
* **first-contact resolution**: contacts of D closed as ``resolved`` ÷ contacts of D that
  were assessed (%): the need met at first contact, without routing or booking.
* **routing by service**: contacts of D routed (or booked through routing) per service, and
  how many by a rule versus by hand (``manual``).
* **questionnaires**: questionnaire contacts of D per recommended outcome.
* **past a deadline** (at ``now``): open cases whose nearest deadline is before ``now``'s
  date, per leg.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.domain.workflow.codes import CaseState, Channel, CloseReason
from sotekeskus.store.models import CareCase


@dataclass(frozen=True)
class WorkdeskFigures:
    day: date
    now: datetime
    contacts_by_channel: list[dict[str, Any]]
    contacts_by_hour: list[dict[str, Any]]
    queue: list[dict[str, Any]]
    chat: dict[str, Any]
    callback: dict[str, Any]
    same_day: dict[str, Any]
    first_contact_resolution: dict[str, Any]
    routing: list[dict[str, Any]]
    questionnaires: list[dict[str, Any]]
    past_deadline: list[dict[str, Any]]

    def summary(self) -> list[dict[str, Any]]:
        """One row per figure (the CLI's table): figure, value, count it is over."""
        total = sum(r["contacts"] for r in self.contacts_by_channel)
        queued = sum(r["waiting"] for r in self.queue)
        past = sum(r["cases"] for r in self.past_deadline)
        return [
            {"figure": "contacts", "value": total, "count": total},
            {"figure": "queue_unassessed", "value": queued, "count": queued},
            {"figure": "chat_first_reply_mean_min", "value": self.chat["mean_min"],
             "count": self.chat["answered"]},
            {"figure": "chat_first_reply_p90_min", "value": self.chat["p90_min"],
             "count": self.chat["answered"]},
            {"figure": "callback_within_window_pct", "value": self.callback["within_pct"],
             "count": self.callback["called_back"]},
            {"figure": "assessed_same_day_pct", "value": self.same_day["pct"],
             "count": self.same_day["contacts"]},
            {"figure": "first_contact_resolution_pct",
             "value": self.first_contact_resolution["pct"],
             "count": self.first_contact_resolution["assessed"]},
            {"figure": "past_deadline", "value": past, "count": past},
        ]


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between order statistics (numpy's default); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60.0


def compute(session: Session, day: date, now: datetime,
            units: Iterable[str] | None = None) -> WorkdeskFigures:
    start = datetime.combine(day, datetime.min.time())
    end = start + timedelta(days=1)
    unit_list = sorted(units) if units is not None else None

    def scoped(stmt: Any) -> Any:
        return stmt.where(CareCase.unit_id.in_(unit_list)) if unit_list is not None else stmt

    cases = list(session.scalars(scoped(select(CareCase).where(
        CareCase.contact_at >= start, CareCase.contact_at < end))))
    by_channel = Counter(c.channel for c in cases)
    by_hour = Counter((c.channel, c.contact_at.hour) for c in cases)
    chats = [c for c in cases if c.channel == Channel.CHAT]
    waits = [_minutes(c.first_reply_at - c.contact_at) for c in chats if c.first_reply_at]
    calls = [c for c in cases if c.channel == Channel.PHONE and c.callback_to]
    within = late = pending = 0
    delays: list[float] = []
    for c in calls:
        done = c.first_reply_at or c.assessed_at
        assert c.callback_to is not None
        if done is None:
            pending += 1
        elif done <= c.callback_to:
            within += 1
        else:
            late += 1
            delays.append(_minutes(done - c.callback_to))
    same_day = sum(1 for c in cases if c.assessed_at and c.assessed_at.date() == day)
    assessed = [c for c in cases if c.assessed_at is not None]
    resolved = sum(1 for c in assessed if c.close_reason == CloseReason.RESOLVED)
    routed: dict[str, Counter[str]] = defaultdict(Counter)
    for c in cases:
        if c.service_id and c.routing_rule:
            routed[c.service_id]["manual" if c.routing_rule == "manual" else "rule"] += 1
    questionnaires = Counter(c.questionnaire_outcome or "-" for c in cases
                             if c.channel == Channel.QUESTIONNAIRE)
    open_unassessed = scoped(
        select(CareCase.channel, func.count(), func.min(CareCase.contact_at))
        .where(CareCase.state.in_([CaseState.NEW.value, CaseState.CLAIMED.value]))
        .group_by(CareCase.channel))
    queue = [{"channel": ch, "waiting": n,
              "oldest_wait_min": round(_minutes(now - oldest)) if oldest else None}
             for ch, n, oldest in session.execute(open_unassessed)]
    past = scoped(select(CareCase.due_leg, func.count())
                  .where(CareCase.state != CaseState.CLOSED.value,
                         CareCase.due_on < now.date())
                  .group_by(CareCase.due_leg))
    return WorkdeskFigures(
        day=day, now=now,
        contacts_by_channel=[{"channel": ch.value, "contacts": by_channel.get(ch.value, 0)}
                             for ch in Channel],
        contacts_by_hour=[{"channel": ch, "hour": h, "contacts": n}
                          for (ch, h), n in sorted(by_hour.items())],
        queue=sorted(queue, key=lambda r: r["channel"]),
        chat={"chats": len(chats), "answered": len(waits), "waiting": len(chats) - len(waits),
              "mean_min": _mean(waits),
              "p90_min": round(p, 1) if (p := percentile(waits, 0.9)) is not None else None},
        callback={"requests": len(calls), "called_back": within + late, "within_window": within,
                  "late": late, "pending": pending, "within_pct": _pct(within, within + late),
                  "mean_delay_min": _mean(delays)},
        same_day={"contacts": len(cases), "assessed_same_day": same_day,
                  "pct": _pct(same_day, len(cases))},
        first_contact_resolution={"assessed": len(assessed), "resolved": resolved,
                                  "pct": _pct(resolved, len(assessed))},
        routing=[{"service_id": s, "cases": sum(n.values()), "by_rule": n["rule"],
                  "manual": n["manual"]} for s, n in sorted(routed.items())],
        questionnaires=[{"outcome": o, "cases": n} for o, n in sorted(questionnaires.items())],
        past_deadline=[{"leg": leg or "-", "cases": n} for leg, n in session.execute(past)],
    )
