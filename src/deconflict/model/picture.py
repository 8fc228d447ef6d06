""":class:`Picture`: everything the detectors compare at one instant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .checks import check_unique_ids
from .declarations import Country, Position, Strike, Volume, Zone
from .tracks import Tracks


@dataclass(frozen=True, eq=False)
class Picture:
    """Everything known at one instant: tracks, zones, declarations, plans, countries.

    Ids are unique within each kind of record (two zones may not share an id; a zone
    and a position may).
    """

    tracks: Tracks = field(default_factory=Tracks.empty)
    zones: tuple[Zone, ...] = ()
    positions: tuple[Position, ...] = ()
    strikes: tuple[Strike, ...] = ()
    volumes: tuple[Volume, ...] = ()
    countries: tuple[Country, ...] = ()

    def __post_init__(self) -> None:
        groups: dict[str, Sequence[Zone | Position | Strike | Volume | Country]] = {
            "zones": self.zones,
            "positions": self.positions,
            "strikes": self.strikes,
            "volumes": self.volumes,
            "countries": self.countries,
        }
        for name, group in groups.items():
            object.__setattr__(self, name, tuple(group))
            check_unique_ids(group, name, "an earlier one")
