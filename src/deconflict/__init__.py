"""deconflict: predict where parties sharing an airspace will collide; keep the record."""

__version__ = "0.1.0"
