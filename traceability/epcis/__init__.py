"""The EPCIS 2.0 REST subset: party API keys, capture jobs and the event query (docs/epcis.md)."""
