"""Exports for regulators: FDA FSMA 204 sortable spreadsheet, EPCIS 2.0 documents."""
