"""The steps of the CBV 2.0 event hash behind :mod:`traceability.events.hashing`.

``tree`` builds the node tree, ``walk`` orders it, ``canon`` canonicalises values, ``profiles``
holds the per-event-type field orders, ``fast`` is the direct fast path. Import from the modules.
"""
