"""``sotekeskus report flow|continuity|clients|follow-up``: clients and pathways
(docs/pathways.md). Registered on the ``report`` group by :func:`register`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sotekeskus.cli.common import (
    DbOption,
    FormatOption,
    check_format,
    err,
    fail,
    out,
    parse_date,
    split,
)

if TYPE_CHECKING:
    from sotekeskus.pathways.source import EpisodeSource

NoSuppressOption = Annotated[bool, typer.Option(
    "--no-suppress", help="Exact small counts (unit-level detail)")]


models_app = typer.Typer(help="Prediction models with model cards (decision support).",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the pathways reports to the ``report`` command group."""
    app.command("flow")(report_flow)
    app.command("continuity")(report_continuity)
    app.command("clients")(report_clients)
    app.command("follow-up")(report_follow_up)
    app.command("segments")(report_segments)
    app.command("outcomes")(report_outcomes)
    app.command("experience")(report_experience)
    app.command("cost")(report_cost)


def register_imports(app: typer.Typer) -> None:
    """Add ``import measures|experience`` to the ``import`` command group."""
    app.command("measures")(import_measures)
    app.command("experience")(import_experience)


def _source(db: str | None) -> EpisodeSource:
    from sotekeskus.pathways.source import EpisodeSource
    from sotekeskus.store.database import resolve_url, sqlite_path

    path = sqlite_path(resolve_url(db))
    if path is not None and not path.exists():
        raise fail(f"no store at {path}; import episodes first "
                   "(sotekeskus import episodes FILE --db …)")
    try:
        return EpisodeSource.from_store(db)
    except ValueError as exc:
        raise fail(str(exc)) from None


def _last_visit_date(src: EpisodeSource) -> date:
    row = src.con.execute("SELECT max(CAST(visit_at AS DATE)) FROM episodes "
                          "WHERE status = 'done'").fetchone()
    if row is None or row[0] is None:
        raise fail(f"{src.label} has no done visits")
    day: date = row[0]
    return day


def _check_units(src: EpisodeSource, units: tuple[str, ...] | None) -> None:
    if not units:
        return
    known = {str(r[0]) for r in src.con.execute(
        "SELECT DISTINCT unit_id FROM episodes").fetchall()}
    unknown = [u for u in units if u not in known]
    if unknown:
        raise fail(f"--unit {', '.join(unknown)}: no such unit in {src.label}; units: "
                   + ", ".join(sorted(known)))


def _text(rows: Sequence[dict[str, Any]], digits: dict[str, int]) -> list[dict[str, Any]]:
    """Floats as text with their own number of decimals (the table and CSV renderers would
    otherwise show one decimal)."""
    return [{k: (f"{v:.{digits[k]}f}" if k in digits and isinstance(v, float) else v)
             for k, v in r.items()} for r in rows]


def _json(body: dict[str, Any]) -> None:
    out.file.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")


# ---- flow -----------------------------------------------------------------------------------

EDGE_COLUMNS = ["from", "to", "count", "median_hours", "p90_hours", "total_hours"]


def report_flow(
    log: Annotated[Path | None, typer.Option(
        "--log", help="Event-log CSV: case_id,activity,timestamp[,resource]")] = None,
    db: DbOption = None,
    case_type: Annotated[str | None, typer.Option(
        help="Only cases of this type (with --db)")] = None,
    fmt: FormatOption = "table",
    detail: Annotated[bool, typer.Option(
        "--detail", help="JSON: add p90_hours, bottlenecks, case counts and durations")
    ] = False,
    no_suppress: NoSuppressOption = False,
) -> None:
    """Patient flow: directly-follows graph, variants, start/end activities, durations."""
    from sotekeskus.pathways.errors import EventLogError, PathwaysError
    from sotekeskus.pathways.eventlog import read_event_log
    from sotekeskus.pathways.flow import flow_from_table

    fmt = check_format(fmt)
    if log is not None and db is not None:
        raise fail("give either --log FILE or --db, not both", 2)
    if log is not None and case_type is not None:
        raise fail("--case-type needs --db (an event-log file has no case types)", 2)
    suppress = False
    try:
        if log is not None:
            flow = flow_from_table(read_event_log(log))  # the user's own file: exact counts
        else:
            src = _source(db)
            from sotekeskus.pathways.store_log import store_flow

            flow = store_flow(src, case_type)
            suppress = not no_suppress
    except EventLogError as exc:
        err.print(exc.render(), highlight=False, markup=False)
        raise typer.Exit(1) from None
    except PathwaysError as exc:
        raise fail(str(exc), getattr(exc, "exit_code", 1)) from None
    if fmt == "json":
        _json(flow.to_dict(detail=detail, suppress=suppress))
        return
    from sotekeskus.report_output import emit

    body = flow.to_dict(detail=True, suppress=suppress)
    edges = body["edges"]
    hours = {"median_hours": 3, "p90_hours": 3, "total_hours": 3, "share_of_time_pct": 1}
    if fmt == "csv":
        emit(_text(edges, hours), EDGE_COLUMNS, "csv", console=out)
        return
    emit(edges, EDGE_COLUMNS, "table", console=out,
         title="Directly-follows transitions (hours between the two activities)")
    variants = [{"count": v["count"], "activities": " → ".join(v["activities"])}
                for v in body["variants"][:20]]
    emit(variants, ["count", "activities"], "table", console=out,
         title=f"Variants (the {min(20, len(body['variants']))} most frequent of "
               f"{len(body['variants'])})")
    ends = [{"activity": a, "start": body["start_activities"].get(a, 0),
             "end": body["end_activities"].get(a, 0)}
            for a in sorted(set(body["start_activities"]) | set(body["end_activities"]))]
    emit(ends, ["activity", "start", "end"], "table", console=out,
         title="Start and end activities (cases)")
    emit(body["bottlenecks"],
         ["from", "to", "count", "median_hours", "p90_hours", "total_hours",
          "share_of_time_pct"], "table", console=out,
         title="Bottlenecks: transitions with the most total time")
    out.print(f"Cases: {body['cases']}   events: {body['events']}   case duration median "
              f"{body['case_hours']['median']} h, p90 {body['case_hours']['p90']} h",
              highlight=False)


# ---- continuity -----------------------------------------------------------------------------


def report_continuity(
    date_from: Annotated[str, typer.Option("--from", help="First visit date, YYYY-MM-DD")],
    date_to: Annotated[str, typer.Option("--to", help="Last visit date (included)")],
    db: DbOption = None,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """Continuity of care: mean Bice–Boxerman COC per unit and professional group."""
    from sotekeskus.pathways.continuity import COLUMNS, DETAIL_COLUMNS, continuity, suppress
    from sotekeskus.pathways.errors import PathwaysError
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    start = parse_date(date_from, "--from")
    end = parse_date(date_to, "--to")
    assert start is not None and end is not None
    if end < start:
        raise fail(f"--to {end} is before --from {start}", 2)
    try:
        result = continuity(_source(db), start, end)
    except PathwaysError as exc:
        raise fail(str(exc)) from None
    if result.visits_without_professional:
        err.print(f"note: {result.visits_without_professional:,} done visits in the period "
                  "have no professional_id and are left out", highlight=False)
    rows = result.rows if no_suppress else suppress(result.rows)
    if fmt == "json":
        _json({"units": [{c: r[c] for c in COLUMNS} for r in rows]})
        return
    emit(_text(rows, {"mean_coc": 3, "median_coc": 3}), DETAIL_COLUMNS, fmt, console=out,
         title=f"Continuity of care (COC), visits {start} – {end}")


# ---- clients --------------------------------------------------------------------------------


def report_clients(
    date_to: Annotated[str | None, typer.Option(
        "--to", help="Last day of the 12 months, YYYY-MM-DD (default: the last visit date)")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """Multi-service clients (2+ / 3+ service areas) and high users (top 10 % by contacts)
    in 12 months, per home unit and age group."""
    from sotekeskus.pathways.clients import COLUMNS, clients, suppress
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    end = parse_date(date_to, "--to")
    src = _source(db)
    if end is None:
        end = _last_visit_date(src)
    result = clients(src, end)
    rows = result.rows if no_suppress else suppress(result.rows)
    if fmt == "json":
        _json({"from": result.date_from.isoformat(), "to": result.date_to.isoformat(),
               "high_user_threshold": result.high_user_threshold,
               "rows": [{c: r[c] for c in COLUMNS} for r in rows]})
        return
    emit(rows, COLUMNS, fmt, console=out,
         title=f"Clients {result.date_from} – {result.date_to} (high user: "
               f"{result.high_user_threshold} or more contacts)")


# ---- follow-up ------------------------------------------------------------------------------


def report_follow_up(
    on: Annotated[str | None, typer.Option(
        help="Reference date, YYYY-MM-DD (default: the last visit date)")] = None,
    db: DbOption = None,
    unit: Annotated[list[str] | None, typer.Option(
        help="Only these unit ids (repeat or comma-separate)")] = None,
    condition: Annotated[list[str] | None, typer.Option(
        help="Only these conditions (ids of the conditions table)")] = None,
    conditions_file: Annotated[Path | None, typer.Option(
        "--conditions", help="The region's own conditions table (YAML)")] = None,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """Lapsed follow-up of long-term conditions per unit: persons with the condition and
    those whose last follow-up is older than the protocol interval plus grace."""
    from sotekeskus.pathways.conditions import load_conditions
    from sotekeskus.pathways.errors import PathwaysError
    from sotekeskus.pathways.followup import COLUMNS, follow_up, suppress
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    day = parse_date(on, "--on")
    try:
        table = load_conditions(conditions_file)
    except PathwaysError as exc:
        raise fail(str(exc)) from None
    chosen = split(condition)
    unknown = [c for c in chosen or () if c not in table.ids()]
    if unknown:
        raise fail(f"--condition {', '.join(unknown)}: unknown; allowed: "
                   + ", ".join(table.ids()), 2)
    units = split(unit)
    src = _source(db)
    _check_units(src, units)
    if day is None:
        day = _last_visit_date(src)
    try:
        result = follow_up(src, day, table, units=units, conditions=chosen)
    except PathwaysError as exc:
        raise fail(str(exc)) from None
    for note in result.notes:
        err.print(f"note: {note}", highlight=False)
    rows = result.rows if no_suppress else suppress(result.rows)
    if fmt == "json":
        _json({"on": day.isoformat(), "rows": [{c: r[c] for c in COLUMNS} for r in rows]})
        return
    emit(rows, COLUMNS, fmt, console=out,
         title=f"Lapsed follow-up on {day} (protocols: {table.source})")


# ---- segments -------------------------------------------------------------------------------


def report_segments(
    year: Annotated[int | None, typer.Option(
        help="Calendar year (default: the year of the last visit)")] = None,
    db: DbOption = None,
    rules_file: Annotated[Path | None, typer.Option(
        "--rules", help="The region's own segment rule table (YAML)")] = None,
    conditions_file: Annotated[Path | None, typer.Option(
        "--conditions", help="The region's own conditions table (YAML)")] = None,
    show_transitions: Annotated[bool, typer.Option(
        "--transitions", help="Table / CSV: the moves from the year before instead")] = False,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """Client segments by a readable rule table: each segment's profile in the year and how
    persons moved between segments since the year before (counts only)."""
    from sotekeskus.pathways.conditions import load_conditions
    from sotekeskus.pathways.errors import PathwaysError
    from sotekeskus.pathways.segments import (
        load_segments,
        profile_columns,
        profiles,
        suppress_profiles,
        suppress_transitions,
        transitions,
    )
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    try:
        table = load_segments(rules_file)
        conditions = load_conditions(conditions_file)
    except PathwaysError as exc:
        raise fail(str(exc)) from None
    src = _source(db)
    if year is None:
        year = _last_visit_date(src).year
    if not 1900 <= year <= 2100:
        raise fail(f"--year {year}: not a year between 1900 and 2100", 2)
    result = profiles(src, year, table, conditions)
    moves = transitions(src, year - 1, table, conditions)
    for note in result.notes:
        err.print(f"note: {note}", highlight=False)
    rows = result.rows if no_suppress else suppress_profiles(result.rows, table)
    if not no_suppress:
        moves = suppress_transitions(moves)
    columns = profile_columns(table)
    if fmt == "json":
        _json({"year": year, "population": result.population, "rules": table.source,
               "segments": [{c: r[c] for c in columns} for r in rows],
               "transitions": {"from_year": year - 1, "to_year": year, "rows": moves}})
        return
    if show_transitions:
        emit(moves, ["from", "to", "persons"], fmt, console=out,
             title=f"Segment transitions {year - 1} → {year}")
        return
    emit(rows, columns, fmt, console=out,
         title=f"Segments {year} ({result.population} persons; rules: {table.source})")


# ---- outcomes and experience ----------------------------------------------------------------


def report_outcomes(
    file: Annotated[Path, typer.Option(
        "--file", help="Measurements CSV: person_id,instrument,measured_on,unit_id,"
                       "service_area,answers")],
    date_from: Annotated[str, typer.Option("--from", help="First baseline date")],
    date_to: Annotated[str, typer.Option("--to", help="Last baseline date (included)")],
    follow_up_days: Annotated[int, typer.Option(
        help="The follow-up is the first measurement at least this many days later")] = 28,
    instrument: Annotated[list[Path] | None, typer.Option(
        help="An extra instrument file (YAML), e.g. the region's licensed PROMIS-29 tables")
    ] = None,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """Outcome measures before and after: baseline and follow-up scores and their change
    per unit, service area and instrument (PHQ-9, GAD-7, WHO-5 shipped)."""
    from sotekeskus.pathways.errors import PathwaysError
    from sotekeskus.pathways.instruments import load_instrument, shipped_instruments
    from sotekeskus.pathways.outcomes import (
        OUTCOME_COLUMNS,
        DataFileError,
        outcome_change,
        read_measurements,
        suppress_outcomes,
    )
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    assert start is not None and end is not None
    if end < start:
        raise fail(f"--to {end} is before --from {start}", 2)
    if follow_up_days < 1:
        raise fail("--follow-up-days must be at least 1", 2)
    instruments = shipped_instruments()
    try:
        for path in instrument or []:
            extra = load_instrument(path)
            instruments[extra.id] = extra
        measurements = read_measurements(file, instruments)
    except DataFileError as exc:
        err.print(exc.render(), highlight=False, markup=False)
        raise typer.Exit(1) from None
    except PathwaysError as exc:
        raise fail(str(exc)) from None
    rows = outcome_change(measurements, start, end, instruments, follow_up_days)
    if not no_suppress:
        rows = suppress_outcomes(rows)
    if fmt == "json":
        _json({"from": start.isoformat(), "to": end.isoformat(),
               "follow_up_days": follow_up_days, "rows": rows})
        return
    emit(rows, OUTCOME_COLUMNS, fmt, console=out,
         title=f"Outcomes: baselines {start} – {end}, follow-up ≥ {follow_up_days} days later")


def report_experience(
    file: Annotated[Path, typer.Option(
        "--file", help="Survey CSV: unit_id,channel,responded_on,score[,comment]")],
    date_from: Annotated[str | None, typer.Option("--from", help="First response date")
                         ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last response date")] = None,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """Patient-reported experience: NPS (0–10 recommendation) per unit and channel."""
    from sotekeskus.pathways.outcomes import (
        NPS_COLUMNS,
        DataFileError,
        nps,
        read_experience,
        suppress_nps,
    )
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    try:
        responses = read_experience(file)
    except DataFileError as exc:
        err.print(exc.render(), highlight=False, markup=False)
        raise typer.Exit(1) from None
    rows = nps(responses, start, end)
    if not no_suppress:
        rows = suppress_nps(rows)
    if fmt == "json":
        _json({"rows": rows})
        return
    emit(rows, NPS_COLUMNS, fmt, console=out, title="Experience: NPS by unit and channel")


# ---- models ---------------------------------------------------------------------------------


@models_app.command("evaluate")
def models_evaluate(
    residents: Annotated[int, typer.Option(help="Residents of the synthetic region")] = 60_000,
    date_from: Annotated[str, typer.Option("--from", help="First day of the data")
                         ] = "2019-01-01",
    date_to: Annotated[str, typer.Option("--to", help="Last day; its year is the test year")
                       ] = "2024-12-31",
    seed: Annotated[int, typer.Option(help="Seed of the region, cohorts and bootstrap")] = 1,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals")
                         ] = 500,
    cards: Annotated[Path | None, typer.Option(
        help="Also write the model cards (Markdown) to this file, e.g. docs/models.md")
    ] = None,
    store: Annotated[bool, typer.Option(
        "--store", help="Store the fitted models, their figures and cards in the store "
                        "(--db): the professional's risk list and the model card pages "
                        "use the latest stored run")] = False,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Evaluate both risk models on the synthetic region (temporal split, AUROC / AUPRC
    with intervals, calibration, baseline, subgroups) and print their model cards."""
    from sotekeskus.pathways.models.cards import run, summary
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    assert start is not None and end is not None
    if end.year - start.year < 2:
        raise fail("--from … --to must span at least three calendar years (two to train "
                   "on, the last to test)", 2)
    if residents < 1_000:
        raise fail("--residents must be at least 1000", 2)
    if bootstrap < 50:
        raise fail("--bootstrap must be at least 50", 2)
    if db is not None and not store:
        raise fail("--db needs --store (what to do with the store)", 2)
    engine = _migrated_engine(db) if store else None
    result = run(residents, start, end, seed, bootstrap)
    text = result.markdown()
    if cards is not None:
        cards.write_text(text, encoding="utf-8")
    if engine is not None:
        from sotekeskus.cli.common import cli_actor
        from sotekeskus.pathways.models.stored import save_run

        ids = save_run(engine, result, created_by=cli_actor())
        err.print("stored: " + ", ".join(f"{k} run {v}" for k, v in ids.items()),
                  highlight=False, markup=False)
    if fmt == "table":
        out.file.write(text)
        return
    emit(summary(result), list(summary(result)[0]), fmt, console=out)


def _migrated_engine(db: str | None):  # type: ignore[no-untyped-def]
    """The store's engine, migrated (a composition root of the CLI: ``models evaluate
    --store`` writes to it)."""
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade

    engine = make_engine(resolve_url(db))
    upgrade(engine)
    return engine


def _store_engine(db: str | None):  # type: ignore[no-untyped-def]
    """The store's engine for a read (never migrates; an old store is an error)."""
    from sqlalchemy import inspect

    from sotekeskus.store.database import make_engine, resolve_url, sqlite_path

    url = resolve_url(db)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise fail(f"no store at {path}")
    engine = make_engine(url)
    if not inspect(engine).has_table("risk_marks"):
        raise fail("the store has no marks table yet; run `sotekeskus migrate` first")
    return engine


@models_app.command("marks")
def models_marks(
    model: Annotated[str | None, typer.Option(help="One model (readmission, home_care)")
                     ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First list day")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last list day")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """The share of justified marks per model: professionals' current justified /
    not-justified marks on the persons of the risk lists (docs/models.md)."""
    from sotekeskus.pathways.errors import PathwaysError
    from sotekeskus.pathways.models.stored import (
        SHARE_COLUMNS,
        justified_share,
        suppress_share,
    )
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    if start is not None and end is not None and end < start:
        raise fail(f"--to {end} is before --from {start}", 2)
    engine = _store_engine(db)
    try:
        rows = justified_share(engine, model, date_from=start, date_to=end)
    except PathwaysError as exc:
        raise fail(str(exc), getattr(exc, "exit_code", 1)) from None
    if not no_suppress:
        rows = suppress_share(rows)
    if fmt == "json":
        _json({"from": start.isoformat() if start else None,
               "to": end.isoformat() if end else None, "rows": rows})
        return
    emit(rows, list(SHARE_COLUMNS), fmt, console=out,
         title="Justified share of the professionals' marks per model")


# ---- cost -----------------------------------------------------------------------------------


def report_cost(
    date_from: Annotated[str, typer.Option("--from", help="First visit date, YYYY-MM-DD")],
    date_to: Annotated[str, typer.Option("--to", help="Last visit date (included)")],
    costs: Annotated[Path | None, typer.Option(
        help="Cost table (CSV or YAML: contact_mode, professional_group, cost_eur[, unit_id]);"
             " default: the shipped example prices")] = None,
    residents: Annotated[int | None, typer.Option(
        help="The region's population: adds cost_per_resident to the region row")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """Cost per visit and per person served, per unit and professional group, from a cost
    table (docs/pathways.md)."""
    from sotekeskus.pathways.costs import COLUMNS, EXAMPLE, cost_report, load_costs, suppress
    from sotekeskus.pathways.errors import PathwaysError
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    assert start is not None and end is not None
    if end < start:
        raise fail(f"--to {end} is before --from {start}", 2)
    if residents is not None and residents < 1:
        raise fail("--residents must be at least 1", 2)
    try:
        table = load_costs(costs or EXAMPLE)
        src = _source(db)
        rows = cost_report(src, table, start, end, residents)
    except PathwaysError as exc:
        raise fail(str(exc)) from None
    if costs is None:
        err.print("note: the shipped EXAMPLE prices (not any region's); give --costs FILE",
                  highlight=False, markup=False)
    if not no_suppress:
        rows = suppress(rows)
    columns = list(COLUMNS) + (["cost_per_resident"] if residents else [])
    if fmt == "json":
        _json({"from": start.isoformat(), "to": end.isoformat(), "cost_table": table.source,
               "rows": rows})
        return
    emit(_text(rows, {"cost_eur": 2, "cost_per_visit": 2, "cost_per_person": 2,
                      "cost_per_resident": 2}), columns, fmt, console=out,
         title=f"Cost {start} – {end} ({table.source})")


# ---- imports of outcome measurements and experience responses ------------------------------


def import_measures(
    file: Annotated[Path, typer.Argument(help="Measurements CSV: person_id,instrument,"
                                               "measured_on,unit_id,service_area,answers")],
    instrument: Annotated[list[Path] | None, typer.Option(
        help="An extra instrument file (YAML), e.g. the region's licensed PROMIS-29 tables")
    ] = None,
    db: DbOption = None,
) -> None:
    """Store outcome measurements (scored) for the management web; all-or-nothing, a
    re-import of the same rows changes nothing."""
    from sotekeskus.pathways.errors import PathwaysError
    from sotekeskus.pathways.instruments import load_instrument, shipped_instruments
    from sotekeskus.pathways.outcome_store import import_measurements
    from sotekeskus.pathways.outcomes import DataFileError

    engine = _migrated_engine(db)
    instruments = shipped_instruments()
    try:
        for path in instrument or []:
            extra = load_instrument(path)
            instruments[extra.id] = extra
        result = import_measurements(engine, file, instruments)
    except DataFileError as exc:
        err.print(exc.render(), highlight=False, markup=False)
        raise typer.Exit(1) from None
    except PathwaysError as exc:
        raise fail(str(exc)) from None
    out.print(f"{file}: {result.rows} measurements, {result.written} new or changed",
              highlight=False)


def import_experience(
    file: Annotated[Path, typer.Argument(help="Survey CSV: unit_id,channel,responded_on,"
                                               "score[,comment]")],
    db: DbOption = None,
) -> None:
    """Store recommendation-survey responses (never the comments); a file is imported once."""
    from sotekeskus.pathways.outcome_store import import_experience as store
    from sotekeskus.pathways.outcomes import DataFileError

    engine = _migrated_engine(db)
    try:
        result = store(engine, file)
    except DataFileError as exc:
        err.print(exc.render(), highlight=False, markup=False)
        raise typer.Exit(1) from None
    if result.already:
        out.print(f"{file}: already imported ({result.rows} responses); nothing changed",
                  highlight=False)
    else:
        out.print(f"{file}: {result.written} responses stored", highlight=False)
