"""JSON Schemas shipped with the package (read with importlib.resources)."""
