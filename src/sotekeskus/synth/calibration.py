"""Every number the synthetic region is calibrated to, in one place.

The public source of each figure is listed in ``docs/synth.md`` (calibration table). Figures
marked *assumption* are modelling choices made to reproduce a published aggregate, not
published numbers themselves. A :class:`Calibration` is plain data: pass a modified copy
(``dataclasses.replace``) to :func:`sotekeskus.synth.generate_region` to run a scenario, e.g.
``replace(DEFAULT_CALIBRATION, capacity_scale=0.9)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sotekeskus.domain.vocabulary import CODES

AREAS: tuple[str, ...] = CODES["service_area"]  # medical, oral, mental, substance, social
GROUPS: tuple[str, ...] = CODES["professional_group"]
MODES: tuple[str, ...] = CODES["contact_mode"]
REMOTE_MODES: tuple[str, ...] = ("phone", "video", "chat", "e_service")
STATUSES: tuple[str, ...] = CODES["status"]  # done, waiting, cancelled
LANES: tuple[str, ...] = ("soon", "routine")

Knots = tuple[tuple[str, float], ...]


def _per_area(**values: Any) -> dict[str, Any]:
    return {area: values[area] for area in AREAS}


@dataclass(frozen=True)
class Calibration:
    """Parameters of the generator (see docs/synth.md for the sources)."""

    # --- population (Statistics Finland, population structure; a non-metropolitan county) --
    #: Share of residents by 5-year age band at the start date (0-4, 5-9, ..., 85-89, 90+):
    #: 15.8 % aged 0-14, 60.0 % aged 15-64, 24.2 % aged 65+.
    age_shares_5y: tuple[float, ...] = (
        4.6, 5.3, 5.9,  # 0-14
        5.7, 5.3, 5.8, 6.0, 6.1, 6.0, 5.7, 6.0, 6.6, 6.8,  # 15-64
        6.6, 6.6, 5.0, 3.3, 1.8, 0.9,  # 65+
    )  # fmt: skip
    #: Live births per 1 000 residents per year (Finland 7.8-8.5 in 2019-2023).
    births_per_1000: float = 8.0
    #: Annual probability of death by age band [0, 65), [65, 75), [75, 85), [85, ...)
    #: (assumption shaped on Statistics Finland life tables; gives ~10 deaths per 1 000).
    mortality_age_edges: tuple[int, ...] = (0, 65, 75, 85)
    mortality: tuple[float, ...] = (0.002, 0.013, 0.04, 0.13)

    # --- demand: new episodes per person-year in a normal year, by age band ---------------
    #: Age bands [0,7) [7,15) [15,25) [25,45) [45,65) [65,75) [75,85) [85,...).
    rate_age_edges: tuple[int, ...] = (0, 7, 15, 25, 45, 65, 75, 85)
    #: About 3.1 episodes per resident-year over all areas (assumption: the first care event
    #: of an episode only, well below THL's ~5 health-centre visits per resident).
    episode_rates: dict[str, tuple[float, ...]] = field(
        default_factory=lambda: _per_area(
            medical=(1.7, 1.05, 1.5, 1.55, 1.95, 2.65, 3.7, 4.6),
            oral=(0.85, 1.05, 0.65, 0.55, 0.65, 0.75, 0.65, 0.35),
            mental=(0.03, 0.12, 0.40, 0.32, 0.22, 0.10, 0.07, 0.05),
            substance=(0.0, 0.005, 0.05, 0.08, 0.07, 0.035, 0.015, 0.005),
            social=(0.20, 0.12, 0.25, 0.15, 0.12, 0.18, 0.40, 0.75),
        )
    )
    #: Person-level heterogeneity: need multiplier = shared gamma x area gamma (mean 1);
    #: smaller shape = more concentrated use (10-20 % of clients use most services).
    need_shape_shared: float = 0.9
    need_shape_area: float = 2.0

    # --- rhythm of contacts ----------------------------------------------------------------
    #: Relative contact volume Monday..Sunday (assumption: Monday peak, weekends e-service only).
    weekday_factors: tuple[float, ...] = (1.30, 1.10, 1.05, 1.00, 0.92, 0.12, 0.09)
    #: Relative contact volume January..December (winter infections peak, July holiday dip).
    month_factors: tuple[float, ...] = (
        1.12, 1.10, 1.05, 1.00, 0.98, 0.88, 0.66, 0.93, 1.06, 1.08, 1.08, 0.95,
    )  # fmt: skip
    #: Days with weekend-level activity (Christmas, New Year, Midsummer eve approximated).
    holidays_mmdd: tuple[str, ...] = ("12-24", "12-25", "12-26", "01-01", "01-06", "06-21")
    #: Share of contacts made digitally (chat, e-service) at any hour, rising over time.
    digital_contact_share: Knots = (
        ("2019-01-01", 0.10), ("2020-03-15", 0.12), ("2020-05-01", 0.20),
        ("2022-01-01", 0.24), ("2025-12-31", 0.35),
    )  # fmt: skip

    # --- pandemic and care debt ------------------------------------------------------------
    #: Demand (contacts) relative to normal, by area: the spring-2020 dip (THL: health-centre
    #: visits -17.5 %, oral visits -21.3 % in 2020 vs 2019), then postponed need returning.
    demand_factors: dict[str, Knots] = field(
        default_factory=lambda: {
            "default": (
                ("2020-02-29", 1.00), ("2020-03-20", 0.78), ("2020-04-15", 0.60),
                ("2020-05-31", 0.74), ("2020-08-31", 0.85), ("2020-12-31", 0.88),
                ("2021-06-30", 0.96), ("2021-12-31", 1.02), ("2022-12-31", 1.02),
                ("2023-12-31", 1.01), ("2024-06-30", 1.00),
            ),
            "oral": (
                ("2020-02-29", 1.00), ("2020-03-20", 0.65), ("2020-04-15", 0.42),
                ("2020-05-31", 0.62), ("2020-08-31", 0.85), ("2020-12-31", 0.90),
                ("2021-06-30", 1.00), ("2021-12-31", 1.06), ("2022-12-31", 1.05),
                ("2023-12-31", 1.01), ("2024-06-30", 1.00),
            ),
            "mental": (
                ("2020-02-29", 1.00), ("2020-04-15", 0.85), ("2020-08-31", 1.00),
                ("2021-06-30", 1.10), ("2022-12-31", 1.12), ("2025-12-31", 1.12),
            ),
        }
    )  # fmt: skip
    #: Weekly capacity relative to normal, by area: staff moved to testing and vaccination,
    #: oral care limited to urgent care in spring 2020, staff shortage 2021-2022, then
    #: relief capacity (extra staff, service vouchers) from 2023 when the 14-day rule came.
    capacity_factors: dict[str, Knots] = field(
        default_factory=lambda: {
            "default": (
                ("2020-02-29", 1.00), ("2020-03-20", 0.82), ("2020-04-15", 0.70),
                ("2020-05-31", 0.84), ("2020-08-31", 0.92), ("2021-03-01", 0.96),
                ("2021-12-31", 0.99), ("2022-12-31", 1.00), ("2023-08-31", 1.06),
                ("2024-06-30", 1.06), ("2025-12-31", 1.04),
            ),
            "oral": (
                ("2020-02-29", 1.00), ("2020-03-20", 0.55), ("2020-04-15", 0.30),
                ("2020-05-31", 0.55), ("2020-08-31", 0.85), ("2021-03-01", 0.95),
                ("2021-12-31", 0.97), ("2022-12-31", 1.00), ("2023-08-31", 1.08),
                ("2024-06-30", 1.10), ("2025-12-31", 1.06),
            ),
            "mental": (
                ("2020-02-29", 1.00), ("2020-04-15", 0.80), ("2020-08-31", 0.95),
                ("2021-06-30", 1.02), ("2022-06-30", 1.08), ("2023-06-30", 1.13),
                ("2025-12-31", 1.15),
            ),
        }
    )  # fmt: skip
    #: Capacity by month (staff holidays): normalised so that the year averages 1.
    capacity_month_factors: tuple[float, ...] = (
        1.0, 1.0, 1.0, 1.0, 1.0, 0.85, 0.55, 0.90, 1.0, 1.0, 1.0, 0.92,
    )  # fmt: skip
    #: Multiplies every capacity (scenario knob; 1.0 = calibrated region).
    capacity_scale: float = 1.0
    #: Weekly capacity noise (sick leave, vacancies): lognormal sigma.
    capacity_noise_sigma: float = 0.08
    #: Spread of capacity between units of the same kind: lognormal sigma.
    unit_capacity_sigma: float = 0.02
    #: Management response (assumption): once a backlog exceeds the booking horizon by more
    #: than ``backlog_tolerance_weeks`` of demand, extra weekly capacity (overtime, purchased
    #: services, service vouchers) of ``backlog_response_per_week`` x the excess is added. A
    #: lasting deficit d (weeks of demand per week) then settles d / response weeks above it.
    backlog_tolerance_weeks: dict[str, float] = field(
        default_factory=lambda: _per_area(
            medical=1.5, oral=4.0, mental=3.0, substance=2.0, social=2.0
        )
    )
    backlog_response_per_week: float = 0.02

    # --- professional mix, urgency, plans -------------------------------------------------
    #: Professional group of the care event, by area (adults); children's oral care is mostly
    #: done by dental hygienists (``oral_child_groups``).
    group_mix: dict[str, dict[str, float]] = field(
        default_factory=lambda: _per_area(
            medical={"physician": 0.36, "nurse": 0.54, "therapist": 0.07, "other": 0.03},
            oral={"dentist": 0.58, "dental_hygienist": 0.40, "other": 0.02},
            mental={"psychologist": 0.28, "nurse": 0.55, "physician": 0.12, "therapist": 0.05},
            substance={"nurse": 0.60, "physician": 0.18, "social_worker": 0.15, "other": 0.07},
            social={"social_worker": 0.65, "other": 0.35},
        )
    )
    oral_child_groups: dict[str, float] = field(
        default_factory=lambda: {"dentist": 0.40, "dental_hygienist": 0.58, "other": 0.02}
    )
    #: Share of episodes that are urgent, by area and group (default for unlisted groups).
    urgent_share: dict[str, dict[str, float]] = field(
        default_factory=lambda: _per_area(
            medical={"physician": 0.38, "nurse": 0.30, "therapist": 0.04, "default": 0.10},
            oral={"dentist": 0.26, "dental_hygienist": 0.02, "default": 0.05},
            mental={"default": 0.08},
            substance={"default": 0.15},
            social={"social_worker": 0.10, "default": 0.05},
        )
    )
    #: Share of non-urgent episodes that follow a care plan (plan_based = true).
    plan_share: dict[str, dict[str, float]] = field(
        default_factory=lambda: _per_area(
            medical={"physician": 0.15, "nurse": 0.22, "therapist": 0.40, "default": 0.20},
            oral={"dentist": 0.15, "dental_hygienist": 0.35, "default": 0.20},
            mental={"default": 0.40},
            substance={"default": 0.45},
            social={"default": 0.35},
        )
    )
    #: Plan intervals in days (contact = booking from the plan, visit = planned date).
    plan_interval_days: tuple[int, ...] = (7, 14, 21, 28, 42, 56, 84, 91, 120)
    plan_interval_weights: tuple[float, ...] = (
        0.10, 0.18, 0.12, 0.18, 0.12, 0.10, 0.08, 0.07, 0.05,
    )  # fmt: skip
    #: Share of plan-based episodes that still carry a recorded assessment.
    plan_assessed_share: float = 0.2

    # --- queues --------------------------------------------------------------------------
    #: Non-urgent, unplanned episodes go to one of two lanes per (unit, area, group) queue:
    #: "soon" (short-notice slots) or "routine" (booked ahead). Share in the "soon" lane:
    soon_share: dict[str, dict[str, float]] = field(
        default_factory=lambda: _per_area(
            medical={"physician": 0.50, "nurse": 0.65, "therapist": 0.25, "default": 0.5},
            oral={"dentist": 0.20, "dental_hygienist": 0.08, "default": 0.2},
            mental={"psychologist": 0.15, "nurse": 0.45, "physician": 0.30, "default": 0.2},
            substance={"nurse": 0.60, "physician": 0.40, "default": 0.45},
            social={"social_worker": 0.35, "default": 0.5},
        )
    )
    #: Booking horizon: backlog (in weeks of demand) a routine lane keeps before it serves.
    #: Calibrated so that 2019 waits match THL's pre-pandemic access figures.
    horizon_weeks: dict[str, dict[str, float]] = field(
        default_factory=lambda: _per_area(
            medical={"physician": 1.3, "nurse": 1.0, "therapist": 3.0, "default": 1.0},
            oral={"dentist": 4.5, "dental_hygienist": 6.0, "default": 3.0},
            mental={"psychologist": 4.0, "nurse": 1.5, "physician": 2.5, "default": 4.0},
            substance={"nurse": 0.8, "physician": 2.0, "default": 1.5},
            social={"social_worker": 2.5, "default": 1.5},
        )
    )
    soon_horizon_weeks: float = 0.15
    #: Annual capacity / annual demand of a routine lane in a normal year (>1: list stable).
    capacity_ratio: dict[str, dict[str, float]] = field(
        default_factory=lambda: _per_area(
            medical={"physician": 1.02, "nurse": 1.06, "therapist": 1.03, "default": 1.08},
            oral={"dentist": 1.02, "dental_hygienist": 1.01, "default": 1.05},
            mental={"psychologist": 1.01, "nurse": 1.05, "physician": 1.03, "default": 1.02},
            substance={"default": 1.05},
            social={"social_worker": 1.02, "default": 1.05},
        )
    )
    soon_capacity_ratio: float = 1.15
    #: Backlog at the start date, in multiples of the booking horizon (oral care debt
    #: predates the pandemic: THL/Hammaslääkäriliitto surveys 2018 report 2-4 month waits).
    initial_backlog: dict[str, float] = field(
        default_factory=lambda: _per_area(
            medical=1.0, oral=1.2, mental=1.1, substance=1.0, social=1.0
        )
    )
    #: Probability that a routine patient declines the first offered time; the visit moves
    #: by a geometric number of days (mean 7, or mean 40 for a quarter of them: "after the
    #: summer"). Gives the long tail seen in THL's over-90-day counts.
    decline_first_offer: float = 0.12
    decline_mean_days: float = 7.0
    decline_long_share: float = 0.25
    decline_long_mean_days: float = 40.0
    #: Individual spread of a routine wait around the queue's first-come-first-served wait
    #: (patients' own availability, a particular professional): lognormal sigma, mean kept.
    wait_spread_sigma: float = 0.4

    # --- recording ------------------------------------------------------------------------
    #: Share of non-urgent visits with a recorded assessment, drawn per unit in this range.
    assessment_coverage: tuple[float, float] = (0.60, 0.90)
    #: Share of urgent episodes with a recorded assessment.
    urgent_assessed_share: float = 0.95
    #: Probability that the assessment is made on a later weekday than the contact (the
    #: 3-weekday rule before 2023-09-01, same-day rule after).
    late_assessment: Knots = (("2023-08-31", 0.16), ("2023-09-01", 0.05))
    #: Urgent episodes seen the next day (rest: same day).
    urgent_next_day: float = 0.25

    # --- cancellations --------------------------------------------------------------------
    #: Share of non-urgent episodes cancelled, by contact date (spring 2020: non-urgent care,
    #: oral care especially, postponed).
    cancel_share: dict[str, Knots] = field(
        default_factory=lambda: {
            "default": (("2020-03-01", 0.05), ("2020-03-20", 0.14), ("2020-05-31", 0.14),
                        ("2020-07-31", 0.06), ("2021-12-31", 0.05)),
            "oral": (("2020-03-01", 0.05), ("2020-03-20", 0.35), ("2020-05-15", 0.35),
                     ("2020-07-31", 0.08), ("2021-12-31", 0.05)),
        }
    )  # fmt: skip

    # --- channels ---------------------------------------------------------------------------
    #: Target share of done episodes with a remote contact mode, region-wide by visit date
    #: (THL: ~20-25 % in 2020, 28.8 % of health-centre visits in 2022; programme target
    #: 35-45 % by 2025). The generator solves a monthly intercept to hit it.
    remote_share: Knots = (
        ("2019-01-01", 0.15), ("2020-02-29", 0.15), ("2020-04-15", 0.33),
        ("2020-06-30", 0.21), ("2020-10-31", 0.23), ("2021-06-30", 0.25),
        ("2022-06-30", 0.285), ("2023-06-30", 0.30), ("2024-06-30", 0.33),
        ("2025-12-31", 0.37),
    )  # fmt: skip
    #: Relative log-odds of a remote care event by area/group (oral is almost never remote).
    remote_logodds: dict[str, dict[str, float]] = field(
        default_factory=lambda: _per_area(
            medical={"physician": 0.0, "nurse": 0.5, "therapist": -1.0, "default": 0.0},
            oral={"default": -3.2},
            mental={"psychologist": 0.3, "nurse": 0.6, "physician": 0.3, "default": 0.0},
            substance={"default": 0.3},
            social={"social_worker": 0.4, "default": 0.2},
        )
    )
    remote_logodds_age75: float = -0.7
    remote_logodds_urgent: float = -0.3
    remote_logodds_plan: float = 0.3
    #: Split of remote events by mode over time (phone declines, chat/e-service grow).
    remote_mix: dict[str, Knots] = field(
        default_factory=lambda: {
            "phone": (("2019-07-01", 0.80), ("2020-07-01", 0.76), ("2021-07-01", 0.70),
                      ("2022-07-01", 0.63), ("2023-07-01", 0.57), ("2024-07-01", 0.52),
                      ("2025-07-01", 0.48)),
            "video": (("2019-07-01", 0.02), ("2020-07-01", 0.07), ("2021-07-01", 0.08),
                      ("2025-07-01", 0.08)),
            "chat": (("2019-07-01", 0.05), ("2020-07-01", 0.07), ("2021-07-01", 0.10),
                     ("2022-07-01", 0.14), ("2023-07-01", 0.19), ("2024-07-01", 0.23),
                     ("2025-07-01", 0.26)),
            "e_service": (("2019-07-01", 0.13), ("2020-07-01", 0.10), ("2021-07-01", 0.12),
                          ("2022-07-01", 0.15), ("2023-07-01", 0.16), ("2024-07-01", 0.17),
                          ("2025-07-01", 0.18)),
        }
    )  # fmt: skip
    #: Share of in-person events that are home visits (social care; medical care of the 75+).
    home_visit_share: dict[str, float] = field(
        default_factory=lambda: {"default": 0.005, "age75": 0.08, "social": 0.12,
                                 "social_age75": 0.30}
    )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable copy (tuples become lists)."""
        return asdict(self)


DEFAULT_CALIBRATION = Calibration()


def lookup(table: dict[str, dict[str, float]], area: str, group: str) -> float:
    """Value for ``(area, group)`` in a per-area table, falling back to ``default``."""
    row = table[area]
    return float(row.get(group, row.get("default", 0.0)))
