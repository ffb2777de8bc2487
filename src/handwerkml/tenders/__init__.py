"""Tenders: imported GAEB bills, priced from the firm's history, reviewed and exported as X84."""
