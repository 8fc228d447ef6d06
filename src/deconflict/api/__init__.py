"""The HTTP API: FastAPI routes, bearer-token auth, the WebSocket stream, error mapping.

:func:`~deconflict.api.app.create_app` wraps a :class:`~deconflict.service.core.Service`.
"""
