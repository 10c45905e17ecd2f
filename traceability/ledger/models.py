"""Ledger tables (filled in by the ledger issue)."""
