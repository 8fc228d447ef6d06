"""Live traffic in: ADS-B/Mode S receivers, state-vector feeds and recordings as one party's
tracks, posted to the service (``deconflict feed``).

Modules: :mod:`.sources` (SOURCE and its decoders), :mod:`.sbs`, :mod:`.framing` and
:mod:`.modes` (receiver formats), :mod:`.statevectors` (OpenSky layout), :mod:`.state`
(per-aircraft merged state), :mod:`.readers` (live and replayed reading),
:mod:`.poster` (HTTP batches), :mod:`.run` (the feed), :mod:`.encode` (making recordings).
An adapter: the pure core never imports it.
"""
