"""Plumbing shared by every domain package: errors, time, pagination, repositories."""
