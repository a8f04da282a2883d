"""Clients and pathways (``shared/docs/pathways.md``; docs/pathways.md).

Library API (each function returns exact, unsuppressed figures; suppression is applied by
the caller with the module's ``suppress`` helper or ``to_dict(suppress=True)``):

* :mod:`~sotekeskus.pathways.eventlog` — ``read_event_log(path)`` validates an event-log CSV;
* :mod:`~sotekeskus.pathways.flow` — ``discover_flow`` / ``flow_from_table``: directly-follows
  graph, variants, start and end activities, durations and bottlenecks;
* :mod:`~sotekeskus.pathways.continuity` — ``continuity(src, date_from, date_to)``;
* :mod:`~sotekeskus.pathways.source` — ``EpisodeSource``: the episodes an analysis reads.
"""
