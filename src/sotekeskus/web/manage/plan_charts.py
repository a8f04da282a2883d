"""Vega-Lite charts (Altair) of the planning and pathway pages: weekly series with 95 %
bands, and bars with an uncertainty range.

As in :mod:`sotekeskus.web.charts`, every chart is drawn from the same rows as the table
under it; the x axis is ordinal (labels formatted in the user's locale) so that a missing or
suppressed value leaves a gap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import altair as alt

from sotekeskus.web.charts import DASHES, HEIGHT, PALETTE, WIDTH


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def series_chart(
    rows: Sequence[Mapping[str, Any]],
    x: str,
    series: Sequence[tuple[str, str]],
    *,
    title: str,
    y_title: str,
    x_title: str,
    x_label: Callable[[Any], str],
    bands: Mapping[str, tuple[str, str]] | None = None,
    bars: bool = False,
    percent: bool = False,
    scale: float = 1.0,
) -> dict[str, Any]:
    """Spec of one chart: ``series`` = (field, label) drawn against ``x`` (labels by
    ``x_label``); ``bands``: field → (low field, high field) drawn as a shaded 95 % band;
    ``scale`` multiplies every value (e.g. 100 for shares given as fractions)."""
    bands = bands or {}
    order = [x_label(r[x]) for r in rows]
    names = [label for _key, label in series]
    values, band_values = [], []
    for r in rows:
        for key, label in series:
            v = _number(r.get(key))
            values.append({"x": x_label(r[x]), "series": label,
                           "value": None if v is None else v * scale})
            if key in bands:
                lo, hi = (_number(r.get(b)) for b in bands[key])
                if lo is not None and hi is not None:
                    band_values.append({"x": x_label(r[x]), "series": label,
                                        "lo": lo * scale, "hi": hi * scale})
    x_enc = alt.X("x:O", sort=order, title=x_title,
                  axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    y_scale = alt.Scale(domain=[0, 100]) if percent else alt.Scale(zero=True)
    color = alt.Color("series:N", title=None, sort=names,
                      scale=alt.Scale(domain=names, range=PALETTE[: len(names)]),
                      legend=alt.Legend(orient="top"))
    layers = []
    if band_values:
        layers.append(alt.Chart(alt.Data(values=band_values)).mark_area(opacity=0.18).encode(
            x=x_enc, y=alt.Y("lo:Q", title=y_title, scale=y_scale), y2="hi:Q", color=color))
    base = alt.Chart(alt.Data(values=values))
    y = alt.Y("value:Q", title=y_title, scale=y_scale)
    if bars:
        layers.append(base.mark_bar().encode(x=x_enc, y=y, color=color, xOffset="series:N"))
    else:
        dash = alt.StrokeDash("series:N", title=None, sort=names,
                              legend=alt.Legend(orient="top"),
                              scale=alt.Scale(domain=names, range=DASHES[: len(names)]))
        layers.append(base.mark_line(point=len(rows) <= 60).encode(
            x=x_enc, y=y, color=color, strokeDash=dash))
    return alt.layer(*layers).properties(width=WIDTH, height=HEIGHT,
                                         title=title).to_dict()


def range_bars(rows: Sequence[Mapping[str, Any]], label: str, value: str, lo: str, hi: str,
               *, title: str, y_title: str, x_title: str) -> dict[str, Any]:
    """Bars of ``value`` per ``label`` with the ``lo`` … ``hi`` range as a rule on each."""
    order = [str(r[label]) for r in rows]
    data = [{"x": str(r[label]), "value": _number(r.get(value)), "lo": _number(r.get(lo)),
             "hi": _number(r.get(hi))} for r in rows]
    base = alt.Chart(alt.Data(values=data))
    x_enc = alt.X("x:N", sort=order, title=x_title, axis=alt.Axis(labelAngle=-30))
    bars = base.mark_bar(color=PALETTE[0]).encode(
        x=x_enc, y=alt.Y("value:Q", title=y_title))
    ranges = base.mark_rule(color="#222").encode(x=x_enc, y="lo:Q", y2="hi:Q")
    return alt.layer(bars, ranges).properties(width=WIDTH, height=HEIGHT,
                                              title=title).to_dict()
