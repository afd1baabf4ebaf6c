"""Tracking codes people can read out, access codes kept only as hashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.codes import (
    access_code_matches,
    hash_access_code,
    new_access_code,
    new_case_id,
    new_tracking_code,
    normalise_tracking_code,
)


def test_tracking_code_is_twelve_digits_and_survives_spaces_and_dashes() -> None:
    code = new_tracking_code()
    assert len(code) == 12 and code.isdigit()
    assert normalise_tracking_code(f"{code[:4]} {code[4:8]}-{code[8:]}") == code


def test_a_mistyped_or_swapped_digit_is_recognised() -> None:
    for _ in range(200):
        code = new_tracking_code()
        wrong_digit = code[:5] + str((int(code[5]) + 3) % 10) + code[6:]
        assert normalise_tracking_code(wrong_digit) is None
        i = 3
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            if {code[i], code[i + 1]} != {"0", "9"}:  # the one swap Luhn cannot see
                assert normalise_tracking_code(swapped) is None


def test_garbage_is_not_a_tracking_code() -> None:
    assert normalise_tracking_code("hello") is None
    assert normalise_tracking_code("１２３４５６７８９０１２") is None  # full-width digits


def test_access_code_hash_verifies_only_the_code_of_that_tracking_code_under_that_key() -> None:
    code, tracking, key = new_access_code(), new_tracking_code(), b"k" * 32
    stored = hash_access_code(code, tracking, key)
    assert code not in stored
    assert access_code_matches(code, tracking, stored, key)
    assert not access_code_matches(str((int(code) + 1) % 10**8).zfill(8), tracking, stored, key)
    assert not access_code_matches(code, tracking, stored, b"another key of thirty-two bytes!")
    # the same code on the other half of a split submission has another hash
    assert hash_access_code(code, new_tracking_code(), key) != stored
    # no stored hash (an unknown tracking code) never matches, not even the all-zero digest
    assert not access_code_matches(code, tracking, None, key)


def test_case_ids_sort_by_time() -> None:
    t = datetime(2026, 11, 22, tzinfo=UTC)
    assert new_case_id(t) < new_case_id(t + timedelta(milliseconds=2))
