"""Recalls: opened as ledgered, platform-signed events; affected set, mass balance, report."""
