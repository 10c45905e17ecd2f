"""Hypothesis: :func:`strict_json.loads` is :func:`json.loads` on RFC 8259 JSON, and refuses
exactly the documents holding ``NaN`` / ``Infinity`` / ``-Infinity``, naming the first one."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability import strict_json

_KEYS = st.text(max_size=4)
_NONFINITE = st.sampled_from([math.nan, math.inf, -math.inf])


def values(floats: st.SearchStrategy[float]) -> st.SearchStrategy[Any]:
    leaf = st.one_of(st.none(), st.booleans(), st.integers(), floats, st.text(max_size=6))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)
        ),
        max_leaves=12,
    )


@given(values(st.floats(allow_nan=False, allow_infinity=False)))
def test_standard_json_reads_as_json_loads(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert strict_json.loads(text) == json.loads(text)
    assert strict_json.loads(text.encode()) == json.loads(text.encode())
    assert strict_json.nonfinite_path(value) is None


@given(values(st.floats()), _NONFINITE, st.booleans())
def test_constants_are_refused_naming_the_first(other: Any, bad: float, first: bool) -> None:
    value = [bad, other] if first else {"other": other, "bad": [bad]}
    text = json.dumps(value, ensure_ascii=False)  # json.dumps writes NaN / Infinity
    path, number = strict_json.nonfinite_path(value) or ("?", 0.0)
    with pytest.raises(strict_json.NonFiniteNumberError) as info:
        strict_json.loads(text)
    assert info.value.code == "malformed"
    assert info.value.field == path
    assert info.value.value == json.dumps(number)
    assert info.value.pos is not None
    assert text[info.value.pos :].startswith(info.value.value)
    with pytest.raises(strict_json.NonFiniteNumberError):
        strict_json.check_finite(value)


def test_syntax_errors_are_still_json_decode_errors() -> None:
    with pytest.raises(json.JSONDecodeError):
        strict_json.loads('{"a": ')
    with pytest.raises(strict_json.NonFiniteNumberError) as info:
        strict_json.loads('{"a": [1, NaN, ')  # the constant comes first
    assert info.value.field is None and info.value.value == "NaN"
    assert math.isnan(json.loads("NaN"))  # what the standard module would have read
