"""Ed25519 signing and RFC 8785 canonicalisation."""
