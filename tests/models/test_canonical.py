"""The canonical content of a timesheet and its SHA-256 (docs/rules.md §5 "Signing").

The vectors below are pinned: phone and server must produce these exact bytes
and digests, now and after any refactoring. They are listed for other
languages in tests/models/VECTORS.md. If a vector changes, every signature
already given becomes unverifiable: bump CANONICAL_VERSION instead.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from models.canonical import CANONICAL_VERSION, canonical_content, content_hash
from models.schemas import EntryData


def _entry(data: dict[str, object]) -> EntryData:
    return EntryData.model_validate(data)


# Vector A: one session with Norwegian letters, a trip and an expense. The
# note and the trip's passengers are not part of the signed content.
VECTOR_A = {
    "contact_id": "c-7",
    "decision_id": "d-101",
    "period": "2026-03",
    "entries": [
        {
            "id": "3f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c",
            "decision_ids": ["d-101"],
            "date": "2026-03-12",
            "start": "16:00",
            "end": "18:30",
            "activities": ["Svømming", "Kafé på Ørje"],
            "note": "Hemmelig notat",
            "trips": [
                {
                    "km": "23.5",
                    "from": "Hjem",
                    "to": "Bærum svømmehall",
                    "purpose": "Henting",
                    "passengers": 1,
                }
            ],
            "expenses": [
                {"amount": "89.50", "category": "Inngang", "description": "Billett svømmehall"}
            ],
        }
    ],
}

CANONICAL_A = (
    '{"contact_id":"c-7","decision_id":"d-101","entries":[{"activities":["Kafé på Ørje",'
    '"Svømming"],"date":"2026-03-12","decision_ids":["d-101"],"end":"18:30","expenses":'
    '[{"amount":"89.50","category":"Inngang","description":"Billett svømmehall"}],'
    '"id":"3f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c","minutes":150,"start":"16:00","trips":'
    '[{"from":"Hjem","km":"23.5","purpose":"Henting","to":"Bærum svømmehall"}]}],'
    '"period":"2026-03","totals":{"expenses":"89.50","km":"23.5","minutes":150},"v":1}'
).encode()

# Vector B: October with the night the clocks go back (01:30–03:30 is 180
# minutes), a session across midnight, entries given out of order, two trips
# and two expenses given out of order, and text that needs JSON escaping.
VECTOR_B = {
    "contact_id": "c-7",
    "decision_id": "d-101",
    "period": "2026-10",
    "entries": [
        {
            "id": "b0000000-0000-4000-8000-000000000002",
            "decision_ids": ["d-101"],
            "date": "2026-10-25",
            "start": "01:30",
            "end": "03:30",
            "activities": ["Nattevandring"],
            "trips": [
                {"km": 12, "from": "Åsgårdstrand", "to": "Horten", "purpose": "Hjem"},
                {"km": "7.4", "from": "Horten", "to": "Åsgårdstrand", "purpose": "Ut"},
            ],
            "expenses": [
                {"amount": "45", "category": "Mat/drikke", "description": 'Kakao på "Bryggeriet"'},
                {"amount": "120.05", "category": "Kino", "description": "Flåklypa\nGrand Prix"},
            ],
        },
        {
            "id": "b0000000-0000-4000-8000-000000000001",
            "decision_ids": ["d-101"],
            "date": "2026-10-03",
            "start": "22:15",
            "end": "00:45",
            "activities": ["Konsert", "Bowling"],
        },
    ],
}

# Expenses sort by their compact JSON text, so "120.05" comes before "45.00".
CANONICAL_B = (
    '{"contact_id":"c-7","decision_id":"d-101","entries":[{"activities":["Bowling","Konsert"],'
    '"date":"2026-10-03","decision_ids":["d-101"],"end":"00:45","expenses":[],'
    '"id":"b0000000-0000-4000-8000-000000000001","minutes":150,"start":"22:15","trips":[]},'
    '{"activities":["Nattevandring"],"date":"2026-10-25","decision_ids":["d-101"],"end":"03:30",'
    '"expenses":[{"amount":"120.05","category":"Kino","description":"Flåklypa\\nGrand Prix"},'
    '{"amount":"45.00","category":"Mat/drikke","description":"Kakao på \\"Bryggeriet\\""}],'
    '"id":"b0000000-0000-4000-8000-000000000002","minutes":180,"start":"01:30","trips":'
    '[{"from":"Horten","km":"7.4","purpose":"Ut","to":"Åsgårdstrand"},'
    '{"from":"Åsgårdstrand","km":"12.0","purpose":"Hjem","to":"Horten"}]}],'
    '"period":"2026-10","totals":{"expenses":"165.05","km":"19.4","minutes":330},"v":1}'
).encode()

# Vector C: a group session on three decisions (ids given unsorted) in a
# cut-off pay period, with no activities, trips or expenses.
VECTOR_C = {
    "contact_id": "kontakt-æøå",
    "decision_id": "g-2",
    "period": "2027-01",
    "entries": [
        {
            "id": "C0000000-0000-4000-8000-00000000000C",
            "decision_ids": ["g-3", "g-1", "g-2"],
            "date": "2026-12-28",
            "start": "09:00",
            "end": "09:01",
        }
    ],
}

DIGEST_A = "013280deadc67e01e529c8fded66111c2f03180bee7f00308e6fb6d8c574fcde"
DIGEST_B = "43c41800a9af90b09b57d91a33bed17e0d4219a06b4d0d4d1291b3a03430c39e"
DIGEST_C = "284fe48f141a1d18e16a6a954cb10ed80e9f3de5e04e09e0804bf4086013d978"


def _content(vector: dict[str, object]) -> bytes:
    entries = [_entry(e) for e in vector["entries"]]  # type: ignore[attr-defined]
    return canonical_content(
        contact_id=str(vector["contact_id"]),
        decision_id=str(vector["decision_id"]),
        period=str(vector["period"]),
        entries=entries,
    )


def _hash(vector: dict[str, object]) -> str:
    entries = [_entry(e) for e in vector["entries"]]  # type: ignore[attr-defined]
    return content_hash(
        contact_id=str(vector["contact_id"]),
        decision_id=str(vector["decision_id"]),
        period=str(vector["period"]),
        entries=entries,
    )


def test_canonical_bytes_of_vector_a() -> None:
    assert _content(VECTOR_A) == CANONICAL_A


def test_canonical_bytes_of_vector_b() -> None:
    assert _content(VECTOR_B) == CANONICAL_B


def test_pinned_digests() -> None:
    assert _hash(VECTOR_A) == DIGEST_A
    assert _hash(VECTOR_B) == DIGEST_B
    assert _hash(VECTOR_C) == DIGEST_C


def test_digest_is_sha256_of_the_canonical_bytes() -> None:
    for vector in (VECTOR_A, VECTOR_B, VECTOR_C):
        assert _hash(vector) == hashlib.sha256(_content(vector)).hexdigest()


def test_canonical_content_is_what_the_docstring_promises() -> None:
    document = json.loads(_content(VECTOR_B))
    assert document["v"] == CANONICAL_VERSION == 1
    assert [e["date"] for e in document["entries"]] == ["2026-10-03", "2026-10-25"]
    autumn = document["entries"][1]
    assert autumn["minutes"] == 180  # the night the clocks go back
    assert set(autumn) == {
        "id",
        "date",
        "start",
        "end",
        "minutes",
        "decision_ids",
        "activities",
        "trips",
        "expenses",
    }
    assert set(autumn["trips"][0]) == {"km", "from", "to", "purpose"}
    assert set(autumn["expenses"][0]) == {"amount", "category", "description"}
    # Compact, sorted, UTF-8 without \u escapes for Norwegian letters.
    raw = _content(VECTOR_B)
    assert b": " not in raw
    assert b", " not in raw
    assert "Åsgårdstrand".encode() in raw
    assert (
        raw
        == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


def test_note_and_passengers_are_not_signed() -> None:
    changed = json.loads(json.dumps(VECTOR_A))
    changed["entries"][0]["note"] = "Et annet notat"
    changed["entries"][0]["trips"][0]["passengers"] = 3
    assert _hash(changed) == DIGEST_A


def test_timesheet_identity_is_signed() -> None:
    for field, value in (("contact_id", "c-8"), ("decision_id", "d-102"), ("period", "2026-04")):
        assert _hash({**VECTOR_A, field: value}) != DIGEST_A


def test_empty_timesheet() -> None:
    raw = canonical_content(contact_id="c", decision_id="d", period="2026-01", entries=[])
    assert raw == (
        b'{"contact_id":"c","decision_id":"d","entries":[],"period":"2026-01",'
        b'"totals":{"expenses":"0.00","km":"0.0","minutes":0},"v":1}'
    )


def test_vectors_are_documented_for_other_languages() -> None:
    import models.canonical

    document = (Path(__file__).parent / "VECTORS.md").read_text(encoding="utf-8")
    for vector, digest in ((VECTOR_A, DIGEST_A), (VECTOR_B, DIGEST_B), (VECTOR_C, DIGEST_C)):
        assert _content(vector).decode() in document
        assert f"`content_hash`: `{digest}`" in document
        assert digest in (models.canonical.__doc__ or "")
        # The input printed in the document is the input tested here.
        assert json.dumps(vector, ensure_ascii=False, indent=2) in document
