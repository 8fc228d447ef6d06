"""A scenario played live into a running service (``deconflict serve --demo``).

:class:`LiveDemo` runs a :class:`~deconflict.scenario.player.Player` in a background
thread against a service whose clock is a
:class:`~deconflict.service.clock.ScaledClock` started at the scenario's start: each
action, track report and answer is done when the clock shows its time, and detection
runs in the service's own loop, exactly as for reports over HTTP. When the timeline
ends it starts again, shifted by the scenario's duration, so that time only moves
forward; the declarations' times move with it.
"""

from __future__ import annotations

import logging
from dataclasses import KW_ONLY, dataclass

from ..service.background import Background
from ..service.clock import ScaledClock
from ..service.core import Service
from .model import Scenario
from .player import Player
from .recorder import Recorder

__all__ = ["LiveDemo"]

log = logging.getLogger("deconflict.scenario")


@dataclass(eq=False)
class LiveDemo:
    """Plays ``scenario`` into ``service`` on ``clock``, looping until :meth:`stop`.

    ``recorder`` must receive what the service publishes (it tells the player which
    alerts to answer).
    """

    scenario: Scenario
    service: Service
    recorder: Recorder
    clock: ScaledClock
    _: KW_ONLY
    loop: bool = True
    tick_s: float = 0.1

    def __post_init__(self) -> None:
        self.loops = 0
        self._worker = Background(self._run, "deconflict-demo")
        self._stop = self._worker.stopping

    def _wait(self, t: float) -> bool:
        pause = self.clock.wall_seconds_until(t)
        if pause <= 0:
            return True
        self._stop.wait(min(pause, self.tick_s))
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            player = Player(
                self.scenario,
                self.service,
                self.recorder,
                wait=self._wait,
                steps=False,
                shift_s=self.loops * self.scenario.duration_s,
                strict=False,
                stop=self._stop,
            )
            try:
                player.run()
            except Exception:
                log.exception("demo: the scenario stopped")
                return
            self.loops += 1
            if not self.loop:
                return

    def start(self) -> None:
        """Start playing in a daemon thread."""
        self._worker.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._worker.stop(timeout)
