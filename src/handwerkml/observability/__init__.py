"""Metrics, logging and request timing."""
