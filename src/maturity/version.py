"""The kit's version: one definition, read by the package metadata (pyproject.toml) too."""

__version__ = "0.1.0"
