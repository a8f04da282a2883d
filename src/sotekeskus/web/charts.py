"""Vega-Lite charts (Altair) of the dashboard, rendered to SVG / PNG by vl-convert.

Every chart is drawn from the same published rows as the data table under it. The x axis
is ordinal (periods formatted in the user's locale by Babel) so that suppressed or missing
values leave a gap instead of a misleading line. Changes of the law in force (legal rule
``effective_from`` dates of the rulebook) are marked on the axis as dashed rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import altair as alt

from sotekeskus.domain.rules import Leg, RuleBook, RuleKind
from sotekeskus.web.i18n import N_, fmt_date, fmt_period, gettext_

WIDTH, HEIGHT = 640, 220
PALETTE = ["#005eb8", "#b3261e", "#2e7d32", "#6a1b9a", "#8d4b00"]
DASHES = [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2], [4, 4]]


def law_changes(book: RuleBook, months: Sequence[str],
                service_areas: Sequence[str] | None) -> list[dict[str, Any]]:
    """Legal rules (assessment → visit) that came into force within the months shown."""
    if not months:
        return []
    first = date.fromisoformat(months[0][:7] + "-01")
    last_m = date.fromisoformat(months[-1][:7] + "-01")
    out: dict[date, set[str]] = {}
    for rule in book.of(RuleKind.LEGAL, Leg.ASSESSMENT_TO_VISIT):
        eff = rule.effective_from
        if not first <= eff.replace(day=1) <= last_m:
            continue
        areas = {a.value for a in rule.service_areas}
        if service_areas and not areas & set(service_areas):
            continue
        out.setdefault(eff, set()).update(areas)
    return [{"date": d, "month": d.strftime("%Y-%m"), "areas": sorted(a)}
            for d, a in sorted(out.items())]


def line_chart(
    rows: Sequence[dict[str, Any]],
    series: Sequence[tuple[str, str]],
    *,
    title: str,
    y_title: str,
    changes: Sequence[dict[str, Any]] = (),
    bars: bool = False,
    percent: bool = False,
    x_title: str | None = None,
) -> dict[str, Any]:
    """Spec of one chart: ``series`` = (field, msgid) pairs drawn against ``month``."""
    order = [fmt_period(r["month"]) for r in rows]
    values = []
    for r in rows:
        for key, msgid in series:
            v = r.get(key)
            values.append({
                "period": fmt_period(r["month"]),
                "series": gettext_(msgid),
                "value": v if isinstance(v, int | float) and not isinstance(v, bool) else None,
            })
    x = alt.X("period:O", sort=order, title=x_title or gettext_(N_("Month")),
              axis=alt.Axis(labelAngle=-45))
    y_scale = alt.Scale(domain=[0, 100]) if percent else alt.Scale(zero=True)
    y = alt.Y("value:Q", title=y_title, scale=y_scale)
    names = [gettext_(msgid) for _key, msgid in series]
    color = alt.Color("series:N", title=None, sort=names,
                      scale=alt.Scale(domain=names, range=PALETTE[: len(names)]),
                      legend=alt.Legend(orient="top"))
    base = alt.Chart(alt.Data(values=values))
    if bars:
        layer = base.mark_bar().encode(x=x, y=y, color=color, xOffset="series:N")
    else:
        dash = alt.StrokeDash("series:N", title=None, sort=names, legend=alt.Legend(orient="top"),
                              scale=alt.Scale(domain=names, range=DASHES[: len(names)]))
        layer = base.mark_line(point=True).encode(x=x, y=y, color=color, strokeDash=dash)
    layers = [layer]
    marks = [c for c in changes if fmt_period(c["month"]) in order]
    if marks:
        rule_values = [{"period": fmt_period(c["month"]),
                        "text": gettext_(N_("Law changes")) + " " + fmt_date(c["date"])}
                       for c in marks]
        rule_base = alt.Chart(alt.Data(values=rule_values))
        layers.append(rule_base.mark_rule(color="#444", strokeDash=[4, 4]).encode(
            x=alt.X("period:O", sort=order)))
        layers.append(rule_base.mark_text(align="left", dx=3, dy=-4, fontSize=10,
                                          color="#333", baseline="top").encode(
            x=alt.X("period:O", sort=order), y=alt.value(0), text="text:N"))
    chart = alt.layer(*layers).properties(width=WIDTH, height=HEIGHT, title=title)
    return chart.to_dict()
