# ruff: noqa: E501  (spec tables are as wide as their columns)
"""Waiting list on date D = 2025-03-10 (domain.md): assessed on or before D, not urgent, not
cancelled, and either ``status = waiting`` or seen after D (the visit's date).

Out: w2 (assessed after D), w4 (seen on D), w5 (urgent), w6 (cancelled), w7 (no
assessment). In, hand-computed (days to deadline = deadline − D):

| episode | assessed | rule | deadline | waited | to deadline |
|---|---|---|---|---|---|
| w9 | 2024-12-20 | 14 days (2023-09 rule) | 2025-01-03 | 80 | −66 |            |
| w8 | 2025-01-10 | social: none | — | 59 | — |            |
| w3 | 2025-02-01, seen 03-11 | 3 months (23 or over) | 2025-05-01 | 37 | 52 |            |
| w10 | 2025-02-24, aged 15 | 14 days | 2025-03-10 | 14 | 0 |            |
| w11 | 2025-03-01, aged 15 | 14 days | 2025-03-15 | 9 | 5 |            |
| w13 | 2025-03-03, plan-based | 3 months | 2025-06-03 | 7 | 85 |            |
| w12 | 2025-03-05 (U2, nurse) | 3 months | 2025-06-05 | 5 | 87 |            |
| w1 | 2025-03-10 (on D) | 3 months | 2025-06-10 | 0 | 92 |            |
"""

from __future__ import annotations

from datetime import date

from sotekeskus.analytics.filters import AccessFilter

from ..tables import assert_rows, episodes

D = date(2025, 3, 10)

EPISODES = episodes("""
| episode_id | unit_id | birth_date | service_area | professional_group | urgency    | contact_at | assessed_at | visit_at   | status    | plan_based |
|------------|---------|------------|--------------|--------------------|------------|------------|-------------|------------|-----------|------------|
| w1         | U1      | 1980-01-01 | medical      | physician          | non_urgent |            | 2025-03-10  |            | waiting   |            |
| w2         | U1      | 1980-01-01 | medical      | physician          | non_urgent |            | 2025-03-11  |            | waiting   |            |
| w3         | U1      | 1980-01-01 | medical      | physician          | non_urgent |            | 2025-02-01  | 2025-03-11 | done      |            |
| w4         | U1      | 1980-01-01 | medical      | physician          | non_urgent |            | 2025-02-01  | 2025-03-10 | done      |            |
| w5         | U1      | 1980-01-01 | medical      | physician          | urgent     |            | 2025-02-01  |            | waiting   |            |
| w6         | U1      | 1980-01-01 | medical      | physician          | non_urgent |            | 2025-02-01  |            | cancelled |            |
| w7         | U1      | 1980-01-01 | medical      | physician          | non_urgent | 2025-03-01 |             |            | waiting   |            |
| w8         | U1      | 1980-01-01 | social       | social_worker      | non_urgent |            | 2025-01-10  |            | waiting   |            |
| w9         | U1      | 1980-01-01 | medical      | physician          | non_urgent |            | 2024-12-20  |            | waiting   |            |
| w10        | U1      | 2010-01-01 | medical      | physician          | non_urgent |            | 2025-02-24  |            | waiting   |            |
| w11        | U1      | 2010-01-01 | medical      | physician          | non_urgent |            | 2025-03-01  |            | waiting   |            |
| w12        | U2      | 1980-01-01 | medical      | nurse              | non_urgent |            | 2025-03-05  |            | waiting   |            |
| w13        | U1      | 1980-01-01 | medical      | physician          | non_urgent |            | 2025-03-03  |            | waiting   | true       |
""")


def test_rows(engine):
    assert_rows(engine(EPISODES).waiting_list(D).rows, """
    | episode_id | unit_id | professional_group | assessed_on | days_waited | legal_deadline | days_to_deadline |
    | w9         | U1      | physician          | 2024-12-20  | 80          | 2025-01-03     | -66              |
    | w8         | U1      | social_worker      | 2025-01-10  | 59          |                |                  |
    | w3         | U1      | physician          | 2025-02-01  | 37          | 2025-05-01     | 52               |
    | w10        | U1      | physician          | 2025-02-24  | 14          | 2025-03-10     | 0                |
    | w11        | U1      | physician          | 2025-03-01  | 9           | 2025-03-15     | 5                |
    | w13        | U1      | physician          | 2025-03-03  | 7           | 2025-06-03     | 85               |
    | w12        | U2      | nurse              | 2025-03-05  | 5           | 2025-06-05     | 87               |
    | w1         | U1      | physician          | 2025-03-10  | 0           | 2025-06-10     | 92               |
    """, "waiting_list(2025-03-10).rows")


def test_summary(engine):
    assert_rows(engine(EPISODES).waiting_list(D).summary, """
    | unit_id | professional_group | waiting | past_deadline | due_today | due_within_7d | longest_wait_days |
    | U1      | physician          | 6       | 1             | 1         | 2             | 80                |
    | U1      | social_worker      | 1       | 0             | 0         | 0             | 59                |
    | U2      | nurse              | 1       | 0             | 0         | 0             | 5                 |
    """, "waiting_list(2025-03-10).summary")


def test_unit_filter(engine):
    wl = engine(EPISODES).waiting_list(D, AccessFilter(unit_ids=("U2",)))
    assert_rows(wl.rows, """
    | episode_id | person_id | service_area | days_waited |
    | w12        | Pw12      | medical      | 5           |
    """, "rows, U2")
