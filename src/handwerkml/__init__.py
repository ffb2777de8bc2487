"""HandwerkML: a self-hosted AI back office for German craft businesses."""

__version__ = "0.1.0"
