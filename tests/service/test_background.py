"""The background thread of the detection loop, the head cadence and the live demo."""

from __future__ import annotations

import threading

from deconflict.service.background import Background


def test_it_runs_until_stopped_and_again_after_a_restart() -> None:
    rounds: list[int] = []
    started = threading.Event()

    def loop() -> None:
        rounds.append(1)
        started.set()
        worker.stopping.wait(10)

    worker = Background(loop, "test-background")
    worker.start()
    worker.start()  # already started: one thread
    assert started.wait(5)
    worker.stop(5)
    assert worker.stopping.is_set()
    started.clear()
    worker.start()
    assert started.wait(5)
    assert not worker.stopping.is_set()
    worker.stop(5)
    assert rounds == [1, 1]


def test_stop_wakes_a_loop_waiting_elsewhere() -> None:
    elsewhere = threading.Event()
    ended = threading.Event()

    def loop() -> None:
        while not worker.stopping.is_set():
            elsewhere.wait(30)
        ended.set()

    worker = Background(loop, "test-background", wake=elsewhere.set)
    worker.start()
    worker.stop(5)
    assert ended.is_set()


def test_stop_before_start_is_harmless() -> None:
    Background(lambda: None, "test-background").stop()
