"""Capacity planning: queue statistics, queue series, simulation, forecasts and care debt.

One module per job (see docs/planning.md):

* :mod:`.queue_stats` — the closed-form NHS waiting-list formulas (pure, typed);
* :mod:`.summary` — a waiting list's statistics over a window, in consistent units;
* :mod:`.queue_model` — the fluid weekly queue model the synthetic region is generated with.
"""
