"""Opora: the platform a support and operations department runs on."""

__version__ = "0.1.0"
