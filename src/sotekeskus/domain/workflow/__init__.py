"""Pure rules of the operational workflow (no I/O, mypy-strict).

* :mod:`~sotekeskus.domain.workflow.codes`: the workflow's code lists (channels, case
  states, assessment urgencies, slot kinds and statuses, no-show, notification kinds);
* :mod:`~sotekeskus.domain.workflow.cases`: case states and allowed transitions, single
  ownership;
* :mod:`~sotekeskus.domain.workflow.routing`: the routing matcher (assessment → service);
* :mod:`~sotekeskus.domain.workflow.hetu`: the Finnish personal identity code;
* :mod:`~sotekeskus.domain.workflow.t3`: T3, the third next available appointment;
* :mod:`~sotekeskus.domain.workflow.deadlines`: a case's deadlines from the rule book.
"""
