"""Clients and pathways (``shared/docs/pathways.md``; docs/pathways.md).

Library API for the CLI and the management web. Every function returns exact, unsuppressed
figures; the caller suppresses small cells with the module's ``suppress*`` helper (or
``Flow.to_dict(suppress=True)``). Person-level output exists only in
``followup.follow_up_worklist``, an audited read that takes the actor and the purpose.

* ``source.EpisodeSource`` — the episodes an analysis reads: ``from_store(db)`` (the
  analytics snapshot) or ``from_arrow(table)``;
* ``eventlog.read_event_log`` / ``flow.flow_from_table``, ``flow.discover_flow`` /
  ``store_log.store_flow`` — patient flow (directly-follows graph, variants, start and end
  activities, durations, bottlenecks);
* ``continuity.continuity`` — Bice–Boxerman COC per unit and professional group;
* ``clients.clients`` — multi-service clients and high users;
* ``segments.profiles`` / ``segments.transitions`` — the rule-table segments;
* ``followup.follow_up`` / ``followup.follow_up_worklist`` — lapsed follow-up;
* ``instruments``, ``outcomes`` — outcome measures before and after, NPS;
* ``models`` — the two risk models and their model cards.

Rule tables (conditions, segments, instruments) are YAML data under ``data/``.
"""
