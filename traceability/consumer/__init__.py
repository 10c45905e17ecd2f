"""What consumers send: scans of a label (clone signals) and problem reports.

Stored apart from the ledger: nothing here is an event, a trace edge or a verdict of the ledger,
so nothing a consumer sends can change a trace. Privacy: docs/consumer.md.
"""
