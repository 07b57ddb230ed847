"""Encryption of personal data, blind indexes, phone masking, and the bundled region data."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingmall.core import crypto
from qingmall.core.regions import data_source, list_regions, resolve_address_region


@settings(max_examples=50)
@given(st.text(max_size=200), st.sampled_from(["", "shopper.phone", "address.phone"]))
def test_encrypt_round_trips_and_never_repeats(plaintext, purpose):
    first = crypto.encrypt(plaintext, purpose=purpose)
    second = crypto.encrypt(plaintext, purpose=purpose)
    assert first.startswith("v1.")
    assert first != second
    assert crypto.decrypt(first, purpose=purpose) == plaintext
    assert crypto.decrypt(second, purpose=purpose) == plaintext


def test_cipher_text_is_bound_to_its_purpose_and_tamper_evident():
    token = crypto.encrypt("13812345678", purpose="shopper.phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, purpose="address.phone")
    raw = bytearray(base64.urlsafe_b64decode(token[3:] + "=" * (-len(token[3:]) % 4)))
    raw[-1] ^= 1
    tampered = "v1." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, purpose="shopper.phone")
    for garbage in ["", "v1.", "v2.abcd", "v1.!!!", "v1.AAAA", "13812345678"]:
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(garbage)


def test_a_phone_cipher_fits_its_column():
    assert len(crypto.encrypt("+85261234567", purpose="shopper.phone")) <= 255


def test_data_key_overrides_the_derived_key(monkeypatch):
    derived = crypto.encrypt("13812345678")
    derived_index = crypto.phone_hash("13812345678")
    monkeypatch.setenv("QINGMALL_DATA_KEY", base64.b64encode(bytes(range(32))).decode())
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(derived)
    own = crypto.encrypt("13812345678")
    assert crypto.decrypt(own) == "13812345678"
    assert crypto.phone_hash("13812345678") != derived_index
    monkeypatch.setenv("QINGMALL_DATA_KEY", bytes(range(32)).hex())
    assert crypto.decrypt(own) == "13812345678"  # the same 32 bytes given as hex
    monkeypatch.setenv("QINGMALL_DATA_KEY", "too-short")
    with pytest.raises(RuntimeError):
        crypto.encrypt("x")


def test_blind_index_is_keyed_deterministic_and_normalised():
    index = crypto.phone_hash("13812345678")
    assert re.fullmatch(r"[0-9a-f]{64}", index)
    assert crypto.phone_hash("+86 138-1234-5678") == index
    assert crypto.phone_hash("13812345679") != index
    assert crypto.blind_index("13812345678", purpose="other") != index
    assert index != hashlib.sha256(b"13812345678").hexdigest()


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "138****5678"),
        ("+85261234567", "+85*****4567"),
        ("61234567", "****4567"),
        ("1234", "****"),
    ],
)
def test_mask_phone(phone, masked):
    assert crypto.mask_phone(phone) == masked


def test_region_data_is_a_consistent_three_level_tree():
    provinces = list_regions()
    assert len(provinces) == 31
    assert "MIT" in data_source()
    cities = [city for province in provinces for city in list_regions(province.code)]
    districts = [district for city in cities for district in list_regions(city.code)]
    assert len(cities) == 341
    assert len(districts) == 2850
    for city in cities:
        assert city.has_children, city
        for district in list_regions(city.code):
            resolved = resolve_address_region(city.parent_code, city.code, district.code)
            assert resolved.district == district.name
    assert all(re.fullmatch(r"\d{6}", r.code) and r.name for r in provinces + cities + districts)
