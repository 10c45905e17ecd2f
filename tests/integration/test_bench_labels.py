"""``bench.labels`` end to end at a small size: its JSON has every format, the baselines and
ratios, and the scratch files are gone."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench import labels


def test_small_run() -> None:
    before = set(Path(tempfile.gettempdir()).glob("bench-labels-*"))
    result = labels.run(60, sample=10, ledger=True)
    assert result["labels"] == 60
    for key in ("baseline_links_per_s", "baseline_payloads_per_s", "baseline_symbols_per_s"):
        assert result[key] > 0, key
    for fmt in ("zpl", "pdf", "png", "svg"):
        row = result["formats"][fmt]
        assert row["labels_per_s"] > 0
        assert row["ratio"] > 0
    assert result["formats"]["zpl"]["target"] == 20_000
    assert isinstance(result["formats"]["png"]["met"], bool)
    assert result["alternatives"]["png_qrcode_package"] > 0
    assert result["ledger_zpl_labels_per_s"] > 0
    assert set(Path(tempfile.gettempdir()).glob("bench-labels-*")) == before
