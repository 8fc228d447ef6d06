"""The HTTP API: one FastAPI router per concern, bearer-token auth, the WebSocket stream,
one error body.

:func:`~deconflict.api.app.create_app` wraps a :class:`~deconflict.service.core.Service`
and wires the routers of :mod:`deconflict.api.routes` with the app's
:class:`~deconflict.api.context.ApiContext`.
"""
