"""Label-printing errors, under the one hierarchy of :mod:`traceability.errors`.

Codes: ``label_input`` (a request field is wrong: the field is named, nothing was allocated),
``label_run_not_found``, ``label_run_state`` (an operation the run's state does not allow),
``serial_exhausted`` (no fresh serial could be drawn), ``sscc_exhausted`` (the company prefix
has no serial references left), ``render`` (a symbol could not be encoded).
"""

from __future__ import annotations

from traceability.errors import ConflictError, InvalidInputError, NotFoundError, TraceError


class LabelInputError(InvalidInputError):
    """A field of a print request is invalid; raised before any serial is allocated."""

    code = "label_input"


class RunNotFoundError(NotFoundError):
    code = "label_run_not_found"


class RunStateError(ConflictError):
    code = "label_run_state"


class SerialExhaustedError(ConflictError):
    code = "serial_exhausted"


class RenderError(TraceError):
    code = "render"
