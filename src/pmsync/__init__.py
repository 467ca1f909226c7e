"""pmsync: keeps a multi-product roadmap honest."""

__version__ = "0.1.0"
