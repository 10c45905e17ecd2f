"""Registry changes that carry authority, made through the platform and ledgered (signed by the
platform key): see :mod:`traceability.authority.service`."""
