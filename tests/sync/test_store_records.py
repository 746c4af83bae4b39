"""An entry record's transitions (sync.records), without a store, a file or TinyDB."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sync.records import (
    EntryState,
    Raw,
    acknowledged,
    deleted_locally,
    discarded,
    effective,
    pulled,
    rebased,
    saved_locally,
    versions,
)

V1: Raw = {"id": "e1", "note": "v1"}
V2: Raw = {"id": "e1", "note": "v2"}
V3: Raw = {"id": "e1", "note": "v3"}


def _synced(version: Raw) -> Raw:
    record = pulled(None, version, waiting=False)
    assert record is not None
    return record


def test_a_pulled_entry_is_synced_with_one_version_written_once() -> None:
    record = _synced(V1)
    assert versions(record) == (V1, V1, None)
    assert record["state"] == EntryState.synced
    assert record["server"] == "=data"  # a pointer, not a second copy


def test_save_then_refusal_shows_the_refusal_and_keeps_the_accepted_version_on_the_sheet() -> None:
    record = saved_locally(_synced(V1), V2, mutation_id=7)
    assert record["state"] == EntryState.pending
    assert effective(record) == V2
    errors = [{"field": "end", "message": "Nei.", "code": "invalid"}]
    refused = acknowledged(
        record, kind="entry.upsert", sent=V2, mutation_id=7, accepted=False, errors=errors
    )
    assert refused is not None
    assert refused["state"] == EntryState.rejected
    assert refused["errors"] == errors
    assert versions(refused)[:2] == (V2, V1)
    assert effective(refused) == V1  # what the server holds counts, not the refusal
    back = discarded(refused)
    assert back is not None
    assert versions(back)[:2] == (V1, V1)
    assert back["state"] == EntryState.synced


def test_an_older_answer_does_not_overtake_a_newer_change() -> None:
    record = saved_locally(saved_locally(_synced(V1), V2, 7), V3, 8)
    answered = acknowledged(
        record, kind="entry.upsert", sent=V2, mutation_id=7, accepted=True, errors=[]
    )
    assert answered is not None
    assert answered["state"] == EntryState.pending
    assert versions(answered)[:2] == (V3, V2)
    assert (
        acknowledged(
            answered, kind="entry.upsert", sent=V2, mutation_id=7, accepted=False, errors=[]
        )
        is answered
    )


def test_a_refused_new_entry_is_on_no_sheet_and_a_discard_removes_it() -> None:
    record = saved_locally(None, V1, 3)
    refused = acknowledged(
        record, kind="entry.upsert", sent=V1, mutation_id=3, accepted=False, errors=[]
    )
    assert refused is not None
    assert effective(refused) is None
    assert discarded(refused) is None


def test_an_accepted_delete_stays_as_a_tombstone_until_the_pull_rebases_it() -> None:
    record = rebased(_synced(V1), waiting=False, signed_off=False)
    assert record is not None
    gone = deleted_locally(record, 5)
    assert versions(gone)[0] is None
    after = acknowledged(
        gone, kind="entry.delete", sent={"id": "e1"}, mutation_id=5, accepted=True, errors=[]
    )
    assert after is not None
    assert versions(after) == (None, None, V1)  # the usage still counts it: the basis stays
    assert rebased(after, waiting=False, signed_off=False) is None


def test_a_pull_keeps_a_change_still_on_its_way_and_a_correction_of_a_refusal() -> None:
    waiting = saved_locally(_synced(V1), V2, 9)
    merged = pulled(waiting, V3, waiting=True)
    assert merged is not None
    assert versions(merged)[:2] == (V2, V3)
    refused = acknowledged(
        waiting, kind="entry.upsert", sent=V2, mutation_id=9, accepted=False, errors=[]
    )
    assert refused is not None
    kept = pulled(refused, V3, waiting=False)
    assert kept is not None
    assert kept["state"] == EntryState.rejected
    assert versions(kept)[:2] == (V2, V3)
    # Once the office has signed the sheet off, the server's version stands.
    closed = rebased(kept, waiting=False, signed_off=True)
    assert closed is not None
    assert versions(closed) == (V3, V3, V3)
    assert closed["state"] == EntryState.rejected


def test_rebase_returns_the_same_record_when_nothing_changes() -> None:
    record = rebased(_synced(V1), waiting=False, signed_off=False)
    assert record is not None
    assert rebased(record, waiting=False, signed_off=False) is record


_version = st.sampled_from([V1, V2, V3])
_events = st.lists(
    st.one_of(
        st.tuples(st.just("save"), _version),
        st.just(("delete", None)),
        st.tuples(st.just("answer"), st.booleans()),
        st.tuples(st.just("pull"), st.one_of(st.none(), _version)),
        st.just(("rebase", None)),
        st.just(("discard", None)),
    ),
    max_size=12,
)


@given(_events)
def test_transitions_never_change_their_input_and_keep_versions_whole(
    events: list[tuple[str, Any]],
) -> None:
    record: Raw | None = None
    sent: list[tuple[int, str, Raw]] = []
    mutation = 0
    for kind, value in events:
        before = copy.deepcopy(record)
        after: Raw | None = record
        if kind == "save":
            mutation += 1
            after = saved_locally(record, value, mutation)
            sent.append((mutation, "entry.upsert", value))
        elif kind == "delete" and record is not None and record["data"] is not None:
            mutation += 1
            after = deleted_locally(record, mutation)
            sent.append((mutation, "entry.delete", {"id": "e1"}))
        elif kind == "answer" and record is not None and sent:
            number, what, payload = sent.pop(0)
            after = acknowledged(
                record, kind=what, sent=payload, mutation_id=number, accepted=value, errors=[]
            )
        elif kind == "pull":
            after = pulled(record, value, waiting=bool(sent))
        elif kind == "rebase" and record is not None:
            after = rebased(record, waiting=bool(sent), signed_off=False)
        elif kind == "discard" and record is not None and record["state"] == EntryState.rejected:
            after = discarded(record)
        assert record == before  # pure: the input is as it was
        record = after
        if record is not None:
            assert record["state"] in set(EntryState)
            data, server, basis = versions(record)
            for version in (data, server, basis):
                assert version is None or version in (V1, V2, V3)
            if record["state"] == EntryState.synced and data is not None:
                assert effective(record) == data
