"""``tracectl``: the thin command-line layer that composes Suyuan's packages.

This is the one place allowed to import gateway/devices/label_printing/api (lazily, inside the
commands), because the CLI composes them (docs/architecture.md, the layers). Exit status:
0 success/valid, 1 the thing checked is invalid or a check failed, 2 usage error.

Each command group lives in its own module and is registered in :mod:`traceability.cli.main`.
"""
