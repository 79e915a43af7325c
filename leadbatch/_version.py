"""The package version, alone: the API client puts it in its User-Agent without loading
the package's public API (and so every stage) through `leadbatch/__init__`."""

__version__ = "0.1.0"
