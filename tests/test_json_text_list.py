"""The stored identity texts of provenance rows (`rows.json_text_list`) are exactly what
`json.dumps(..., ensure_ascii=False)` writes: Neo4j keys provenance by that text, and
stores written before the fast path hold it, so the two must never drift."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from identity_graph.stores.rows import activity_other, consent_other, json_text_list, provenance_pk

# Every code point a JSON string can hold, weighted toward the ones the encoder escapes.
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from('"\\\x00\x1f\x7f\n\t/ é€😀\u2028'),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=12,
)


@settings(max_examples=3000)
@given(st.lists(_TEXT, min_size=1, max_size=6))
def test_equals_json_dumps(items: list[str]) -> None:
    assert json_text_list(*items) == json.dumps(items, ensure_ascii=False)


@given(_TEXT, _TEXT, _TEXT, _TEXT, _TEXT)
def test_identities_are_json_lists(a: str, b: str, c: str, d: str, e: str) -> None:
    assert json.loads(provenance_pk(a, b, c, d, e)) == [a, b, c, d, e]
    assert json.loads(activity_other(a, b, c, d)) == [a, b, c, d]
    assert json.loads(consent_other(a, b)) == [a, b]


def test_plain_and_escaped_examples() -> None:
    assert provenance_pk("b_1", "link", "web", "cookie:a", "email:x@y.z") == (
        '["b_1", "link", "web", "cookie:a", "email:x@y.z"]'
    )
    assert json_text_list('say "hi"', "a\\b", "tab\there") == (
        '["say \\"hi\\"", "a\\\\b", "tab\\there"]'
    )
