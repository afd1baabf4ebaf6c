"""Phone numbers: a plainly written mobile number is checked without phonenumbers, with the same result."""

from __future__ import annotations

import subprocess
import sys

import phonenumbers
import pytest

from chalicelib.api import schemas


def _by_phonenumbers(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _ours(value: str) -> str | None:
    try:
        return schemas._phone(value)
    except ValueError:
        return None


def test_the_mobile_pattern_is_phonenumbers_own() -> None:
    # GIVEN phonenumbers' metadata for China WHEN it changes THEN this fails and CN_MOBILE is updated with it
    assert phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern == schemas.CN_MOBILE


@pytest.mark.parametrize("prefix", ["", "+86", "0086", "86", "+86 ", "0"])
def test_every_mobile_prefix_gets_the_answer_phonenumbers_gives(prefix: str) -> None:
    # GIVEN every four-digit start of an eleven-digit number, valid and not
    for start in range(1000, 2000):
        for rest in ("0000000", "4051234", "9999999"):
            value = f"{prefix}{start}{rest}"
            # WHEN it is checked THEN the answer is phonenumbers' answer, to the digit
            assert _ours(value) == _by_phonenumbers(value), value


@pytest.mark.parametrize(
    "value",
    [
        "１３８００１３８０００",
        "138 0013 8000",
        "138-0013-8000",
        " 13800138000",
        "021-63211234",
        "+8613800138000x",
        "12345",
    ],
)
def test_numbers_not_written_plainly_go_to_phonenumbers(value: str) -> None:
    assert _ours(value) == _by_phonenumbers(value)


def test_a_plain_mobile_number_does_not_load_phonenumbers() -> None:
    # GIVEN a fresh interpreter WHEN a plainly written mobile number is checked THEN phonenumbers stays unloaded
    check = "import sys; from chalicelib.api.schemas import _phone; _phone('13800138000')"
    check += "; print('phonenumbers' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"
