"""Verdict rules: what a scan of an item means (ok, recalled, expired, suspect, ...), from its
items and lots; used by the gateway today and by trace and consumer pages."""
