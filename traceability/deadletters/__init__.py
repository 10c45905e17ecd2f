"""Dead letters: refused or undeliverable messages the gateway stored, and how to read them."""
