"""Ledger errors: all are :class:`~traceability.errors.TraceError` subclasses with stable codes."""

from __future__ import annotations

from traceability.errors import ConflictError, InvalidInputError, NotFoundError, VerificationError


class ProofError(VerificationError):
    """A Merkle proof (or its parameters) that does not verify."""

    code = "bad_proof"


class NoteError(VerificationError):
    """A signed note / checkpoint / cosignature that is malformed or does not verify."""

    code = "bad_note"


class ReceiptError(VerificationError):
    code = "bad_receipt"


class AuditError(VerificationError):
    code = "audit_failed"


class InconsistentCheckpointError(ConflictError):
    """The signer refuses a checkpoint inconsistent with the last one it signed."""

    code = "inconsistent_checkpoint"


class EntryNotFoundError(NotFoundError):
    code = "entry_not_found"


class SubmissionError(InvalidInputError):
    code = "bad_submission"
