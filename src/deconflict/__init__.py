"""deconflict: predict where parties sharing an airspace will collide, tell them, keep the record."""

__version__ = "0.1.0"
