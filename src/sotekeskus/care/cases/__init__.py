"""Cases (asiointi): opening, the transitions of the workdesk, the queue and a case's
detail. Every function takes an open :class:`~sotekeskus.care.unit_of_work.UnitOfWork`."""
