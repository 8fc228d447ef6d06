"""Scenarios: incidents written down as a timeline and replayed through the live service.

- :mod:`.model` — the records (:class:`Scenario`, :class:`Flight`, :class:`Action`, ...);
- :mod:`.loader` — the YAML format, checked against ``schema.json`` (errors name the
  line and column);
- :mod:`.flight` — routes flown on the sphere, as the states a party reports;
- :mod:`.replay` — the replay on a simulated clock through
  :class:`~deconflict.service.core.Service`;
- :mod:`.recorder`, :mod:`.outcome` — what each party was told and answered, verdicts;
- :mod:`.report` — the after-action report (HTML, map, export);
- :mod:`.live` — a scenario played live into a running service (``serve --demo``).

The format is described in ``docs/scenarios.md``.
"""

from .loader import load_scenario, parse_scenario
from .model import Scenario

__all__ = ["Scenario", "load_scenario", "parse_scenario"]
