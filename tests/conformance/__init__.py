"""Conformance checks built from the published rules, independent of the implementation."""
