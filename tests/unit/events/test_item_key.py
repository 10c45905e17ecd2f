"""The item key (issue 12, item 4): one key for every form of one identity, different keys for
different identities, the fast path equal to the definition, keys fixed points, and two forms
the event hash treats as one item always one key."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from traceability.events._dl import normalise
from traceability.events.edges import derive
from traceability.events.item_key import is_lot_class, item_elements, item_key, item_key_slow
from traceability.identifiers import epc_urn_from_elements, gtin_check_digit, to_digital_link

# GS1 AI encodable character set 82 (serials, lots, SGLN extensions)
SET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_text = st.text(alphabet=SET82, min_size=1, max_size=20)
_plain = st.text(alphabet="0123456789ABCxyz", min_size=1, max_size=20)


@st.composite
def _key13(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet="0123456789", min_size=12, max_size=12))
    return body + gtin_check_digit(body)


@st.composite
def identities(draw: st.DrawFn) -> tuple[tuple[str, str], ...]:
    """GS1 AIs of one item: an SGTIN, an LGTIN class, an SSCC or an SGLN (with extension)."""
    kind = draw(st.sampled_from(["sgtin", "lgtin", "sscc", "sgln"]))
    if kind in ("sgtin", "lgtin"):
        ind = draw(st.sampled_from("0123456789"))
        body = ind + draw(st.text(alphabet="0123456789", min_size=12, max_size=12))
        gtin = body + gtin_check_digit(body)
        value = draw(st.one_of(_text, _plain))
        return (("01", gtin), ("21" if kind == "sgtin" else "10", value))
    if kind == "sscc":
        body = draw(st.text(alphabet="0123456789", min_size=17, max_size=17))
        return (("00", body + gtin_check_digit(body)),)
    gln = draw(_key13())
    ext = draw(st.one_of(st.none(), _plain))
    return (("414", gln),) if ext is None else (("414", gln), ("254", ext))


@st.composite
def forms(draw: st.DrawFn, ais: tuple[tuple[str, str], ...]) -> str:
    """One way of writing the identity: an EPC URN (any company prefix length), a Digital Link
    on id.gs1.org or a brand's domain, with a query string, with a lot beside a serial."""
    how = draw(st.sampled_from(["urn", "link", "brand", "query", "lot"]))
    if how == "urn":
        return epc_urn_from_elements(ais, draw(st.integers(6, 12)))
    link = to_digital_link(ais)
    if how == "brand":
        return link.replace("https://id.gs1.org", "https://brand.example.com/dl")
    if how == "query":
        return link + "?17=271231&linkType=gs1:pip"
    if how == "lot" and ais[0][0] == "01" and ais[1][0] == "21":
        gtin, serial = ais[0][1], ais[1][1]
        return to_digital_link((("01", gtin), ("10", "LOT7"), ("21", serial)))
    return link


@settings(max_examples=400, deadline=None)
@given(data=st.data(), ais=identities())
def test_every_form_of_one_identity_has_one_key(data: st.DataObject, ais: tuple) -> None:
    a, b = data.draw(forms(ais)), data.draw(forms(ais))
    key = item_key(a)
    assert key == item_key(b), (a, b)
    # TDS: an SGLN extension "0" is no extension (urn:epc:id:sgln:C.L.0 is the GLN alone)
    ais = tuple((k, v) for k, v in ais if (k, v) != ("254", "0"))
    assert key == to_digital_link(ais)  # the identifier core's canonical Digital Link
    assert item_key(key) == key  # a fixed point
    assert item_key_slow(a) == key and item_key_slow(b) == key  # fast path = definition
    assert item_elements(a) == dict(ais)
    assert is_lot_class(a) == (dict(ais).keys() == {"01", "10"})


@settings(max_examples=400, deadline=None)
@given(data=st.data(), one=identities(), other=identities())
def test_different_identities_have_different_keys(
    data: st.DataObject, one: tuple, other: tuple
) -> None:
    no_zero = [{k: v for k, v in x if (k, v) != ("254", "0")} for x in (one, other)]
    assume(no_zero[0] != no_zero[1])  # TDS: SGLN extension "0" = no extension: one place
    assert item_key(data.draw(forms(one))) != item_key(data.draw(forms(other)))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), ais=identities())
def test_one_item_for_the_event_hash_is_one_key(data: st.DataObject, ais: tuple) -> None:
    """Where the hash's normaliser maps two forms to one value, their keys are one too."""
    a, b = data.draw(forms(ais)), data.draw(forms(ais))
    na, nb = normalise(a), normalise(b)
    if na is not None and na == nb:
        assert item_key(a) == item_key(b)


def test_an_sgln_extension_zero_is_the_gln_alone() -> None:
    """Found by hypothesis in CI: ``urn:epc:id:sgln:000000.000000.0`` and
    ``…/414/0000000000000/254/0`` had different keys (TDS: extension "0" = no extension)."""
    gln = "https://id.gs1.org/414/0000000000000"
    for form in ("urn:epc:id:sgln:000000.000000.0", gln + "/254/0", gln):
        assert item_key(form) == item_key_slow(form) == gln, form
    assert item_key(gln + "/254/01") == gln + "/254/01"  # "01" is an extension


def test_other_values_are_their_own_key() -> None:
    for value in ("urn:example:thing:1", "geo:1,2", "https://example.com/no/key", "x"):
        assert item_key(value) == value and item_elements(value) == {}


def test_edges_and_items_by_key() -> None:
    link = "https://brand.example.com/01/80614141123458/21/A%2FB"
    urn = "urn:epc:id:sgtin:0614141.812345.A%2FB"
    event = {
        "type": "AggregationEvent",
        "action": "ADD",
        "parentID": "urn:epc:id:sscc:0614141.1234567890",
        "childEPCs": [link, urn],
        "bizLocation": {"id": "urn:epc:id:sgln:0614141.00777.0"},
    }
    items, edges = derive(event, keyed=True)
    key = "https://id.gs1.org/01/80614141123458/21/A%2FB"
    box = "https://id.gs1.org/00/106141412345678908"
    assert items == [box, key]  # the two forms of the child are one item
    assert ("contains", box, key, key) in edges
    assert derive(event)[0] == sorted([link, urn, event["parentID"]])  # version 1: as sent
