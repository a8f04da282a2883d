"""Risk models on the management web (issue 16 §7): model cards and the professional's list.

* ``/pathways/models`` — both models: the latest stored evaluation and the share of
  justified marks;
* ``/pathways/models/{model}`` — the model card: the stored evaluation's figures (the ones
  ``sotekeskus models evaluate`` printed; nothing hard-coded), calibration, subgroups, what
  the model learned, the share of justified marks, and the card text as printed;
* ``/pathways/models/{model}/list`` — for the roles the access policy lets see persons of
  their units: the persons to consider on a day, each with the factors that raise the
  predicted risk, a purpose required, **one audit row per person shown** (purpose and
  ``subject_person_id``); a professional marks each listed person justified or not
  (``POST …/mark``, append-only, who and when). The list supports a decision and labels
  no one.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from sotekeskus.analytics import pathways_service as pw
from sotekeskus.analytics.filters import FilterError, unknown_code
from sotekeskus.domain.access_policy import Action
from sotekeskus.pathways.errors import PathwaysError
from sotekeskus.pathways.models.cohorts import MODELS
from sotekeskus.pathways.models.stored import (
    StoredRun,
    justified_share,
    latest_run,
    record_mark,
    suppress_share,
)
from sotekeskus.store import audit
from sotekeskus.store.users import Account
from sotekeskus.web import i18n
from sotekeskus.web.deps import ManagementAccount, authorise, language_for, require_csrf
from sotekeskus.web.exports import table_response
from sotekeskus.web.i18n import N_, gettext_
from sotekeskus.web.manage.codes import CodeTable
from sotekeskus.web.manage.pathways import _default_day, _unit_labels, section_links
from sotekeskus.web.manage.scope import parse_day, plan_scope
from sotekeskus.web.manage.views import SUPPRESSION_NOTE, visible_units
from sotekeskus.web.render import render
from sotekeskus.web.tables import Column

router = APIRouter()

TITLES = {"readmission": N_("Return to psychiatric inpatient care within 90 days"),
          "home_care": N_("Growing home-care need of an older person within 6 months")}
PURPOSES = {
    "plan_follow_up": N_("Planning the follow-up of the persons listed"),
    "assess_need": N_("Considering a service-need assessment"),
    "check_records": N_("Checking the records of the persons listed"),
}
#: A factor (the model's design name) → what it means, with the person's own value.
FACTORS = {
    "age": N_("age %(value)s years"),
    "log1p_visits_12m": N_("%(value)s visits in 12 months"),
    "log1p_urgent_12m": N_("%(value)s urgent visits in 12 months"),
    "log1p_mental_12m": N_("%(value)s mental-health visits in 12 months"),
    "log1p_substance_12m": N_("%(value)s substance-use visits in 12 months"),
    "log1p_social_12m": N_("%(value)s social-welfare contacts in 12 months"),
    "log1p_home_visits_6m": N_("%(value)s home visits in 6 months"),
    "log1p_conditions": N_("%(value)s long-term conditions"),
    "log1p_earlier_discharges": N_("%(value)s earlier discharges"),
    "follow_up_7d": N_("a follow-up visit within 7 days"),
}
COLUMNS = {
    "model": N_("Model"), "marked": N_("Persons marked"), "justified": N_("Justified"),
    "not_justified": N_("Not justified"), "justified_pct": N_("Share justified"),
    "figure": N_("Figure"), "value": N_("Value"), "lo": N_("95 per cent interval from"),
    "hi": N_("to"), "group": N_("Group"), "n": N_("Persons"),
    "mean_predicted": N_("Mean predicted risk"), "observed": N_("Observed share"),
    "outcome_rate": N_("Outcome rate"), "auroc": N_("AUROC"), "listed": N_("Listed"),
    "sensitivity": N_("Sensitivity"), "precision": N_("Precision"),
    "feature": N_("Factor"), "coefficient": N_("Log-odds per standard deviation"),
    "person_id": N_("Person (pseudonym)"), "unit_id": N_("Unit"), "age": N_("Age"),
    "risk": N_("Predicted risk"), "factors": N_("Factors that raise the risk"),
    "mark": N_("Your mark"), "attribute": N_("Subgroup"),
}
FIGURES = {"auroc": N_("AUROC"), "auprc": N_("AUPRC"), "brier": N_("Brier score")}
SCORERS = {"model": N_("Model"), "baseline": N_("Baseline: visits in the previous 12 months")}
ATTRIBUTES = {"age_band": N_("Age band"), "sex": N_("Sex"), "language": N_("Language"),
              "municipality": N_("Municipality")}
MARKS = {"yes": N_("Justified"), "no": N_("Not justified")}


def _model(name: str) -> str:
    if name not in MODELS:
        raise unknown_code("model", name, "a model", MODELS)
    return name


def _run(request: Request, name: str) -> StoredRun | None:
    return latest_run(request.app.state.engine, name)


def _pct(value: Any) -> float | None:
    return round(100 * value, 1) if isinstance(value, float) and value == value else None


def _num(value: Any) -> float | None:
    return round(value, 3) if isinstance(value, float) and value == value else None


def share_table(request: Request, account: Account, models: tuple[str, ...] = MODELS
                ) -> CodeTable:
    """The share of justified marks per model (marks of the viewer's units when scoped)."""
    q = plan_scope(request, account)
    rows = [r for r in justified_share(request.app.state.engine, unit_ids=q.unit_ids)
            if r["model"] in models]
    if q.suppressed:
        rows = suppress_share(rows)
    return CodeTable(
        "justified_share", N_("Share of justified marks"),
        [Column("model", "code", COLUMNS["model"]),
         Column("marked", "int", COLUMNS["marked"]),
         Column("justified", "int", COLUMNS["justified"]),
         Column("not_justified", "int", COLUMNS["not_justified"]),
         Column("justified_pct", "pct", COLUMNS["justified_pct"])], rows,
        SUPPRESSION_NOTE if q.suppressed else "", extra_labels={"model": TITLES})


def card_view(request: Request, account: Account, name: str) -> dict[str, Any]:
    """The stored evaluation of ``name`` as tables (empty when none is stored)."""
    run = _run(request, name)
    share = share_table(request, account, (name,))
    tables: list[CodeTable] = [share]
    view: dict[str, Any] = {"model": name, "run": run, "share": share, "tables": tables}
    if run is None:
        return view
    ev = run.evaluation
    metrics = [{"scorer": s, "figure": f, "value": _num(ev["metrics"][s].get(f)),
                "lo": _num(ev["metrics"][s].get(f + "_lo")),
                "hi": _num(ev["metrics"][s].get(f + "_hi"))}
               for s in ("model", "baseline") for f in FIGURES if f in ev["metrics"][s]]
    view["metrics"] = CodeTable(
        f"{name}_metrics", N_("Metrics on the test year"),
        [Column("scorer", "code", COLUMNS["model"]), Column("figure", "code",
                                                            COLUMNS["figure"]),
         Column("value", "num3", COLUMNS["value"]), Column("lo", "num3", COLUMNS["lo"]),
         Column("hi", "num3", COLUMNS["hi"])], metrics,
        extra_labels={"scorer": SCORERS, "figure": FIGURES})
    view["calibration"] = CodeTable(
        f"{name}_calibration", N_("Calibration: ten equal groups by predicted risk"),
        [Column("group", "int", COLUMNS["group"]), Column("n", "int", COLUMNS["n"]),
         Column("mean_predicted", "num3", COLUMNS["mean_predicted"]),
         Column("observed", "num3", COLUMNS["observed"])],
        [{"group": i, "n": c["n"], "mean_predicted": _num(c["mean_predicted"]),
          "observed": _num(c["observed"])} for i, c in enumerate(ev["calibration"], 1)])
    view["subgroups"] = CodeTable(
        f"{name}_subgroups", N_("Subgroups on the test year"),
        [Column("attribute", "code", COLUMNS["attribute"]),
         Column("group", label=COLUMNS["group"]), Column("n", "int", COLUMNS["n"]),
         Column("outcome_rate", "pct", COLUMNS["outcome_rate"]),
         Column("auroc", "num3", COLUMNS["auroc"]), Column("listed", "pct", COLUMNS["listed"]),
         Column("sensitivity", "pct", COLUMNS["sensitivity"]),
         Column("precision", "pct", COLUMNS["precision"])],
        [{"attribute": a, "group": g["group"], "n": g["n"],
          "outcome_rate": _pct(g["outcome_rate"]), "auroc": _num(g["auroc"]),
          "listed": _pct(g["listed"]), "sensitivity": _pct(g["sensitivity"]),
          "precision": _pct(g["precision"])}
         for a, groups in ev["subgroups"].items() for g in groups],
        extra_labels={"attribute": ATTRIBUTES})
    view["learned"] = CodeTable(
        f"{name}_coefficients", N_("What the model learned"),
        [Column("feature", label=COLUMNS["feature"]),
         Column("coefficient", "num3", COLUMNS["coefficient"])],
        [{"feature": k, "coefficient": _num(v)} for k, v in ev["coefficients"].items()])
    view["facts"] = {
        "train": ev["train_rows"], "test": ev["test_rows"], "year": ev["test_year"],
        "train_rate": _pct(ev["train_rate"]), "test_rate": _pct(ev["test_rate"]),
        "threshold": _num(ev["threshold"]), "listed": _pct(ev["listed_share_test"]),
        "run": ev.get("run", {}),
    }
    tables += [view["metrics"], view["calibration"], view["subgroups"], view["learned"]]
    return view


def factor_text(factors: list[Any]) -> str:
    parts = []
    for feature, value, _contribution in factors:
        msgid = FACTORS.get(feature)
        parts.append(gettext_(msgid) % {"value": value} if msgid else f"{feature} {value}")
    return "; ".join(parts) or "–"


def list_view(request: Request, account: Account, name: str) -> dict[str, Any]:
    """The person-level list: the policy's persons scope, a purpose, one audit row per
    person shown (before the list is returned)."""
    from sotekeskus.pathways.models.person_list import read_list

    asked = tuple(dict.fromkeys(u.strip() for u in request.query_params.getlist("unit")
                                if u.strip()))
    scope = authorise(account, Action.VIEW_CLINICAL_WORKLISTS, asked or None)
    units = asked or (None if scope.unit_ids is None else tuple(sorted(scope.unit_ids)))
    on = parse_day(request, "on") or _default_day(request)
    purpose = (request.query_params.get("purpose") or "").strip()
    if purpose and purpose not in PURPOSES:
        raise unknown_code("purpose", purpose, "a purpose", tuple(PURPOSES))
    run = _run(request, name)
    rows: list[dict[str, Any]] = []
    if purpose and run is not None:
        try:
            every = pw.risk_scores(request.app.state.analytics, run, on)
        except PathwaysError as exc:
            raise FilterError(str(exc), field="model") from exc
        rows = read_list(request.app.state.engine, run, every, on, units=units,
                         actor=account.username, purpose=purpose)
        token = i18n.current_language.set(language_for(request, account))
        try:
            for r in rows:
                r["factors_text"] = factor_text(r["factors"])
        finally:
            i18n.current_language.reset(token)
    table = CodeTable(
        f"{name}_list", N_("Persons to consider"),
        [Column("person_id", label=COLUMNS["person_id"]),
         Column("unit_id", "code", COLUMNS["unit_id"]), Column("age", "int", COLUMNS["age"]),
         Column("risk", "num3", COLUMNS["risk"]),
         Column("factors_text", label=COLUMNS["factors"]),
         Column("mark", "code", COLUMNS["mark"])], rows,
        extra_labels={"unit_id": _unit_labels(request), "mark": MARKS})
    return {"model": name, "run": run, "on": on, "units": units, "purpose": purpose,
            "table": table, "read": bool(purpose) and run is not None}


def mark_person(request: Request, account: Account, run: StoredRun, person_id: str,
                day: date) -> dict[str, Any]:
    """The listed row of ``person_id`` on ``day`` whose unit the account may see (the
    policy's ``VIEW_CLINICAL_WORKLISTS``): 403 for a role without it or a person of another
    unit, 400 for a person not on that list."""
    from sotekeskus.pathways.models.person_list import NotOnList, listed_person

    authorise(account, Action.VIEW_CLINICAL_WORKLISTS)
    try:
        row = listed_person(pw.risk_scores(request.app.state.analytics, run, day), person_id,
                            run.model, day)
    except NotOnList as exc:
        raise FilterError(str(exc), field="person_id", value=person_id) from exc
    authorise(account, Action.VIEW_CLINICAL_WORKLISTS, [row["unit_id"]])
    return row


# ------------------------------------------------------------------------------ routes

def _context(request: Request, account: Account) -> dict[str, Any]:
    params = [(k, v) for k, v in request.query_params.multi_items() if v]
    return {"account": account, "section": "models", "sections": section_links(),
            "query": urlencode(params), "params": params, "scope": plan_scope(request, account),
            "units": visible_units(request.app.state.analytics, account), "queue_param": "",
            "titles": TITLES, "models": MODELS}


@router.get("/pathways/models")
def models_overview(request: Request, account: ManagementAccount) -> Response:
    from sotekeskus.web.manage.deadlines import may_see_persons

    runs = {name: _run(request, name) for name in MODELS}
    share = share_table(request, account)
    return render(request, "pathways_models.html", runs=runs, share=share,
                  may_see_persons=may_see_persons(account), **_context(request, account))


@router.get("/pathways/models/{name}/export/{table}.{fmt}")
def models_export(name: str, table: str, fmt: str, request: Request,
                  account: ManagementAccount) -> Response:
    if name not in MODELS:
        return Response("unknown model", status_code=404, media_type="text/plain")
    if table == "justified_share":
        return table_response([share_table(request, account)], table, fmt)
    return table_response(card_view(request, account, name)["tables"], table, fmt)


@router.get("/pathways/models/{name}/list.{fmt}")
def models_list_export(name: str, fmt: str, request: Request,
                       account: ManagementAccount) -> Response:
    if fmt not in ("csv", "xlsx"):
        return Response("unknown export", status_code=404, media_type="text/plain")
    view = list_view(request, account, _model(name))
    if not view["read"]:
        raise FilterError("purpose: required (why the list is read); use one of "
                          + ", ".join(PURPOSES), field="purpose")
    audit.record(request.app.state.engine, account.username, audit.EXPORT_PERSONS,
                 f"risk_list:{name}.{fmt}",
                 f"on={view['on'].isoformat()}; units="
                 f"{','.join(view['units']) if view['units'] else 'all'}; "
                 f"persons={len(view['table'].rows)}; purpose={view['purpose']}")
    return table_response([view["table"]], view["table"].name, fmt,
                          f"{name}_list_{view['on'].isoformat()}")


@router.get("/pathways/models/{name}/list")
def models_list(name: str, request: Request, account: ManagementAccount) -> Response:
    view = list_view(request, account, _model(name))
    return render(request, "pathways_risk_list.html", view=view, purposes=PURPOSES,
                  marks=MARKS, **_context(request, account))


@router.post("/pathways/models/{name}/list/mark", dependencies=[Depends(require_csrf)])
def models_mark(name: str, request: Request, account: ManagementAccount,
                person_id: str = Form(""), on: str = Form(""), justified: str = Form(""),
                note: str = Form(""), purpose: str = Form("")) -> Response:
    """Record a mark on a person of the list of ``on``: the person must be on that list
    in a unit the account may see (else 403 / 400)."""
    name = _model(name)
    day = mark_from_form(request, account, name, person_id, on, justified, note)
    back = [("on", day.isoformat())]
    if purpose in PURPOSES:
        back.append(("purpose", purpose))
    return RedirectResponse(f"/pathways/models/{name}/list?{urlencode(back)}#p-{person_id}",
                            status_code=303)


def mark_from_form(request: Request, account: Account, name: str, person_id: str, on: str,
                   justified: str, note: str) -> date:
    """Check a posted mark and append it (:func:`mark_person`, ``record_mark``); returns
    the list day. An unknown mark, a bad day, no stored run or a bad note: 400."""
    if justified not in MARKS:
        raise unknown_code("justified", justified, "a mark", tuple(MARKS))
    try:
        day = date.fromisoformat(on)
    except ValueError as exc:
        raise FilterError(f"on: {on!r} is not a date YYYY-MM-DD", field="on",
                          value=on) from exc
    run = _run(request, name)
    if run is None:
        raise FilterError("no stored model run: run `sotekeskus models evaluate --store`",
                          field="model")
    row = mark_person(request, account, run, person_id, day)
    try:
        record_mark(request.app.state.engine, model=name, run_id=run.id,
                    person_id=person_id, unit_id=row["unit_id"], list_day=day,
                    justified=justified == "yes", note=note, marked_by=account.username)
    except PathwaysError as exc:
        raise FilterError(str(exc), field="note") from exc
    return day


@router.get("/pathways/models/{name}")
def models_card(name: str, request: Request, account: ManagementAccount) -> Response:
    from sotekeskus.web.manage.deadlines import may_see_persons

    view = card_view(request, account, _model(name))
    return render(request, "pathways_model_card.html", view=view,
                  may_see_persons=may_see_persons(account), **_context(request, account))
