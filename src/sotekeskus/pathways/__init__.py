"""Clients and pathways (``shared/docs/pathways.md``; docs/pathways.md).

Library API for the CLI and the management web. Every function returns exact, unsuppressed
figures; the caller suppresses small cells with the module's ``suppress*`` helper (or
``Flow.to_dict(suppress=True)``). Person-level output is read only through
``followup.follow_up_worklist`` and ``models.scoring.risk_list`` (the web: ``listed`` then
``audit_list``), audited reads that take the actor and the purpose and write one audit row
per person shown (``person_reads``).

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
  ``outcome_store`` — their imports into the store for the web;
* ``costs`` — cost per visit and per person served from a cost table;
* ``leg_breaches`` — transitions of the flow past the legal leg of the rule book;
* ``models`` — the two risk models and their model cards; ``models.stored`` (stored runs,
  the professionals' justified / not-justified marks and their share) and
  ``models.scoring`` (the professional's list from the store).

Rule tables (conditions, segments, instruments; read by ``rule_table``) and the example
cost table are YAML data under ``data/``.
"""
