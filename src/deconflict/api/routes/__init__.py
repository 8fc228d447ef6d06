"""The API's routes, one router per concern; :func:`~deconflict.api.app.create_app`
includes them all."""
