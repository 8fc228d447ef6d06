"""Subcommands of the ``deconflict`` CLI, one module each, discovered by :mod:`deconflict.cli`."""
