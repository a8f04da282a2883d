# ruff: noqa: E501  (spec tables are as wide as their columns)
"""Access report: which visits count, their waits and the shares (domain.md, "Indicator
definitions").

Hand-computed, 2024 (medical: 14-day legal limit since 2023-09-01):

* 2024-03, physician: access visits e1–e5 with waits 0, 7 (26 Feb → 4 Mar, a leap year),
  8, 14, 15 → within 7 d 2/5 = 40.0 %, within 14 d 4/5 = 80.0 %, median 8, one legal breach
  (e5, day 15). e9 (urgent), e10 (plan-based) and e11 (no assessment) are done but are not
  access visits; e12 (waiting) and e13 (cancelled) are not done. Coverage: access visits
  5 ÷ done non-urgent non-plan-based 6 (e1–e5, e11) = 83.3 %. Remote share: phone, video,
  chat, e_service of all 8 done (e1, e2, e9, e10) = 50.0 %.
* 2024-03, nurse: e14, wait 1, phone.
* 2024-05: e6 (wait 90, not over 90), e7 (91, over 90), e8 (assessed 23:30, seen 00:10 the
  next day: wait 1 calendar day, unit U2) → median of 1, 90, 91 = 90; e6 and e7 breach.
"""

from __future__ import annotations

from ..tables import assert_rows, episodes

EPISODES = episodes("""
| episode_id | unit_id | professional_group | urgency    | assessed_at      | visit_at         | contact_mode | status    | plan_based |
|------------|---------|--------------------|------------|------------------|------------------|--------------|-----------|------------|
| e1         | U1      | physician          | non_urgent | 2024-03-01       | 2024-03-01       | phone        | done      |            |
| e2         | U1      | physician          | non_urgent | 2024-02-26       | 2024-03-04       | video        | done      |            |
| e3         | U1      | physician          | non_urgent | 2024-03-01       | 2024-03-09       | in_person    | done      |            |
| e4         | U1      | physician          | non_urgent | 2024-03-01       | 2024-03-15       |              | done      |            |
| e5         | U1      | physician          | non_urgent | 2024-03-01       | 2024-03-16       | home_visit   | done      |            |
| e6         | U1      | physician          | non_urgent | 2024-03-01       | 2024-05-30       |              | done      |            |
| e7         | U1      | physician          | non_urgent | 2024-03-01       | 2024-05-31       |              | done      |            |
| e8         | U2      | physician          | non_urgent | 2024-05-20 23:30 | 2024-05-21 00:10 |              | done      |            |
| e9         | U1      | physician          | urgent     | 2024-03-01       | 2024-03-30       | chat         | done      |            |
| e10        | U1      | physician          | non_urgent | 2024-03-01       | 2024-03-29       | e_service    | done      | true       |
| e11        | U1      | physician          | non_urgent |                  | 2024-03-20       | in_person    | done      |            |
| e12        | U1      | physician          | non_urgent | 2024-03-01       |                  |              | waiting   |            |
| e13        | U1      | physician          | non_urgent | 2024-03-01       |                  |              | cancelled |            |
| e14        | U1      | nurse              | non_urgent | 2024-03-04       | 2024-03-05       | phone        | done      |            |
""")

COLUMNS = ("visits | within_7d_pct | within_14d_pct | over_90d | median_wait_days | "
           "legal_breaches | assessment_coverage_pct | remote_share_pct")


def test_access_report(engine):
    assert_rows(engine(EPISODES).access_report(), f"""
    | month   | service_area | professional_group | {COLUMNS} |
    | 2024-03 | medical      | nurse              | 1 | 100.0 | 100.0 | 0 | 1.0  | 0 | 100.0 | 100.0 |
    | 2024-03 | medical      | physician          | 5 | 40.0  | 80.0  | 0 | 8.0  | 1 | 83.3  | 50.0  |
    | 2024-05 | medical      | physician          | 3 | 33.3  | 33.3  | 1 | 90.0 | 2 | 100.0 | 0.0   |
    """, "access_report()")


def test_access_report_by_unit(engine):
    assert_rows(engine(EPISODES).access_report(by_unit=True), f"""
    | month   | service_area | professional_group | unit_id | {COLUMNS} |
    | 2024-03 | medical      | nurse              | U1      | 1 | 100.0 | 100.0 | 0 | 1.0  | 0 | 100.0 | 100.0 |
    | 2024-03 | medical      | physician          | U1      | 5 | 40.0  | 80.0  | 0 | 8.0  | 1 | 83.3  | 50.0  |
    | 2024-05 | medical      | physician          | U1      | 2 | 0.0   | 0.0   | 1 | 90.5 | 2 | 100.0 | 0.0   |
    | 2024-05 | medical      | physician          | U2      | 1 | 100.0 | 100.0 | 0 | 1.0  | 0 | 100.0 | 0.0   |
    """, "access_report(by_unit=True)")
