"""The live service without HTTP: the picture, continuous detection and the hotline.

:class:`~deconflict.service.core.Service` is what both the HTTP API and scenario replay
drive: reports go in (tracks, declarations, zones, answers, messages, channel changes),
each write is one store transaction together with its ledger entries, detection runs on
the live picture, and events go out to subscribers. Only the clock and the input source
differ between live operation and replay.
"""
