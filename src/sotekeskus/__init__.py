"""sotekeskus: digital core of a Finnish health and social services centre."""

__version__ = "0.1.0"
