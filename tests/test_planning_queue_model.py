"""The fluid weekly queue model (planning.queue_model) on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from sotekeskus.planning.queue_model import QueueModelError, fluid_queues, queue_positions


def test_recursion_by_hand():
    # One queue, 4 weeks: 10 arrivals a week, capacity 8, 12, 12, 12, start backlog 5,
    # booking horizon 3 (keeps 3 booked ahead).
    arrivals = np.array([[10, 10, 10, 10]])
    capacity = np.array([[8.0, 12, 12, 12]])
    m = fluid_queues(arrivals, capacity, np.array([5.0]), np.array([3.0]))
    # w0: available 15, serve min(15-3, 8) = 8, backlog 7
    # w1: available 17, serve min(14, 12) = 12, backlog 5
    # w2: available 15, serve 12, backlog 3; w3: available 13, serve 10, backlog 3
    assert m.served.tolist() == [[8, 12, 12, 10]]
    assert m.backlog.tolist() == [[7, 5, 3, 3]]
    assert m.capacity.tolist() == [[8, 12, 12, 12]]
    assert capacity.tolist() == [[8, 12, 12, 12]]  # the input is not modified


def test_management_response_adds_capacity_beyond_the_tolerated_backlog():
    arrivals = np.array([[10, 10]])
    capacity = np.array([[5.0, 5.0]])
    m = fluid_queues(arrivals, capacity, np.array([50.0]), np.array([0.0]),
                     response=0.1, tolerated=np.array([20.0]))
    # w0: +0.1 * (50 - 20) = 3 → capacity 8, served 8, backlog 52
    # w1: +0.1 * (52 - 20) = 3.2 → capacity 8.2, served 8.2, backlog 53.8
    assert m.capacity[0] == pytest.approx([8, 8.2])
    assert m.backlog[0] == pytest.approx([52, 53.8])


def test_queue_positions_place_patients_in_arrival_order():
    # Queue 0: start backlog 2, serves 2 a week; 4 patients arrive (times 5, 1, 7, 3).
    # Queue 1: no backlog, serves 1 a week; 2 patients.
    arrivals = np.array([[4, 0, 0, 0], [2, 0, 0, 0]])
    served = np.array([[2.0, 2, 2, 0], [1.0, 0, 0, 0]])
    queue = np.array([0, 0, 0, 0, 1, 1])
    time = np.array([5, 1, 7, 3, 2, 4])
    week, frac = queue_positions(queue, time, arrivals, served, np.array([2.0, 0.0]))
    # queue 0 places (after the backlog of 2): time 1 → 2.5, 3 → 3.5, 5 → 4.5, 7 → 5.5
    # cumulative service 2, 4, 6: place 2.5 → week 1 (25 % in), 3.5 → week 1 (75 %),
    # 4.5 → week 2 (25 %), 5.5 → week 2 (75 %)
    assert week[:4].tolist() == [2, 1, 2, 1]
    assert frac[:4] == pytest.approx([0.25, 0.25, 0.75, 0.75])
    # queue 1: place 0.5 → week 0 (half-way); place 1.5 is never served (week ≥ 4)
    assert week[4] == 0 and frac[4] == pytest.approx(0.5)
    assert week[5] >= 4


def test_bad_shapes_and_values_are_errors():
    with pytest.raises(QueueModelError, match="must both be"):
        fluid_queues(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros(2), np.zeros(2))
    with pytest.raises(QueueModelError, match="backlog0 has shape"):
        fluid_queues(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(3), np.zeros(2))
    with pytest.raises(QueueModelError, match="0 or more"):
        fluid_queues(-np.ones((1, 1)), np.zeros((1, 1)), np.zeros(1), np.zeros(1))
    with pytest.raises(QueueModelError, match="response"):
        fluid_queues(np.ones((1, 1)), np.ones((1, 1)), np.zeros(1), np.zeros(1), response=-1)
