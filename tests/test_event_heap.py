"""The heap of the booked events of residents without agents (sim/event_heap.py) keeps
the events of the living in booking order when it makes room by dropping the dead."""

from __future__ import annotations

import numpy as np

from sim import event_heap


def test_a_full_heap_drops_the_events_of_the_dead_before_it_grows() -> None:
    """:meth:`UnmadeEventQueue.make_room` on a full heap takes out the events of the
    residents that have died (:func:`event_heap.drop_dead`) rather than growing, and the
    living ones still come up in booking order."""
    n_sites = 50
    serial = np.arange(n_sites, dtype=np.int64) + 1  # site s holds the resident of serial s+1
    queue = event_heap.UnmadeEventQueue(lambda event: None, n_sites, serial)
    rng = np.random.default_rng(8)
    capacity = queue.keys.size
    due = rng.integers(1, 40, size=capacity)
    site = rng.integers(0, n_sites, size=capacity)
    booked = ((serial[site] * n_sites + site) * 2 + rng.integers(0, 2, size=capacity)).astype(
        np.int64
    )
    queue.book(due, booked, -1)
    assert queue.size[0] == capacity
    serial[: 3 * n_sites // 4] = 0  # most residents have died
    living = site >= 3 * n_sites // 4
    last = (serial[-1] * n_sites + n_sites - 1) * 2  # the last site's resident lives
    queue.book_one(1, int(last))  # no room left: the dead make room
    assert queue.keys.size == capacity
    assert queue.size[0] == np.count_nonzero(living) + 1
    numbers = np.arange(capacity + 1)
    due, booked = np.append(due, 1), np.append(booked, last)
    living = np.append(living, True)
    for step in range(1, 40):
        order, alive = event_heap.pop_due(
            queue.keys, queue.events, queue.size, step, n_sites, serial
        )
        expected = (due == step) & living
        assert order.tolist() == numbers[expected].tolist()
        assert alive.tolist() == booked[expected].tolist()
    assert queue.size[0] == 0
