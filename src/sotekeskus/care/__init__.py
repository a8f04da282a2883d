"""The operational side: per-person, transactional work (workdesk, front door, booking).

Every use case runs in one :class:`~sotekeskus.care.unit_of_work.UnitOfWork`: one database
transaction whose data changes and audit rows commit together or not at all, authorised by
the one access policy. Analytics never imports this package; the two meet only in the
projection of cases to episode rows.
"""
