"""Command-line interface: ``sotekeskus import|report|rules|synth|serve|demo``.

One module per command group; this module only builds the Typer ``app`` and registers them.
The commands are thin: they parse options, call the ingest / analytics / synth layers and
render rows through :mod:`sotekeskus.report_output`. Exit codes: 0 success, 1 invalid input
(file, option value, store), 2 usage error. Command modules import their heavy
dependencies inside the command functions, so ``sotekeskus --help`` and a report start fast.

To register a new command group: write ``cli/<group>.py`` defining
``app = typer.Typer(help=..., no_args_is_help=True)`` with its commands, then add one line
below: ``app.add_typer(<group>.app, name="<group>")`` (and import the module); regenerate
``docs/cli-reference.md`` with ``.venv/bin/python scripts/gen_cli_reference.py`` (a test
fails while it is out of date). Keep module-level imports light (Typer, the vocabulary):
every command's start-up pays for every group's imports.
"""

from __future__ import annotations

import sys

import typer

from sotekeskus.cli import (
    deadlines,
    demo,
    imports,
    interop,
    migrate,
    pathways,
    plan,
    planning_reports,
    report,
    rules,
    serve,
    synth,
    t3,
    users,
    workdesk,
)

app = typer.Typer(help="sotekeskus: care guarantee, care debt and knowledge-based management.",
                  no_args_is_help=True, add_completion=False)

# ---- command groups (one line each) -------------------------------------------------------
app.add_typer(imports.app, name="import")
app.add_typer(report.app, name="report")
pathways.register(report.app)  # report flow|continuity|clients|follow-up|…
app.add_typer(pathways.models_app, name="models")
pathways.register_imports(imports.app)  # import measures|experience
planning_reports.register(report.app)  # report queues|care-debt
t3.register(report.app)  # report t3
workdesk.register(report.app)  # report workdesk
app.add_typer(rules.app, name="rules")
imports.app.command("events")(deadlines.import_events)
imports.app.command("avohilmo")(interop.import_avohilmo)
report.app.command("data-quality")(interop.report_data_quality)
imports.app.command("fhir")(interop.import_fhir)
app.add_typer(interop.export_app, name="export")
app.add_typer(interop.clients_app, name="api-clients")
report.app.command("deadlines")(deadlines.report_deadlines)
report.app.command("deadlines-open")(deadlines.report_deadlines_open)
app.add_typer(plan.app, name="plan")
app.add_typer(users.app, name="users")

# ---- single commands ----------------------------------------------------------------------
app.command("synth")(synth.synth)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("migrate")(migrate.migrate)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
