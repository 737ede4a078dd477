"""Normalising Auto Charge identifiers (SPEC §2)."""

import pytest

from autocharge.services import identifiers


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("VID:0A1B2C3D4E5F", "0A1B2C3D4E5F"),
        ("vid:0a1b2c3d4e5f", "0A1B2C3D4E5F"),
        ("0A1B2C3D4E5F", "0A1B2C3D4E5F"),
        ("0a:1b:2c:3d:4e:5f", "0A1B2C3D4E5F"),
        ("0A-1B-2C-3D-4E-5F", "0A1B2C3D4E5F"),
        ("VID:0A:1B:2C:3D:4E:5F", "0A1B2C3D4E5F"),
        ("  VID:0A1B2C3D4E5F  ", "0A1B2C3D4E5F"),
        ("0000A453EE033156", "A453EE033156"),
        ("VID:0000A453EE033156", "A453EE033156"),
        ("0000a4:53:ee:03:31:56", "A453EE033156"),
        ("0a1b.2c3d.4e5f", "0A1B2C3D4E5F"),
    ],
)
def test_normalize_valid(raw, canonical):
    assert identifiers.normalize(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "VID:",
        "0A1B2C3D4E5",  # 11 hex
        "0A1B2C3D4E5F0",  # 13 hex
        "0A1B2C3D4E5G",  # not hex
        "1234A453EE033156",  # 16 hex without the zero padding
        "0000A453EE0331",  # 14 hex
        "VID:VID:0A1B2C3D4E5F",
        "RFID-12345678",
        "0A1B2C3D4E5F0A1B2C3D",
        "0x0A1B2C3D4E5F",
    ],
)
def test_normalize_invalid(raw):
    assert identifiers.normalize(raw) is None


def test_display():
    assert identifiers.display("0A1B2C3D4E5F") == "0A:1B:2C:3D:4E:5F"
    assert identifiers.display(None) == ""


@pytest.mark.parametrize(
    ("canonical", "local"),
    [("0A1B2C3D4E5F", True), ("001B2C3D4E5F", False), ("FE1B2C3D4E5F", True), ("F01B2C3D4E5F", False)],
)
def test_locally_administered(canonical, local):
    assert identifiers.is_locally_administered(canonical) is local


@pytest.mark.parametrize(
    ("token", "token_type", "canonical"),
    [
        ("VID:0A1B2C3D4E5F", None, "0A1B2C3D4E5F"),  # 1.6 idTag
        ("0A1B2C3D4E5F", None, None),  # 1.6 without the prefix is an RFID tag
        ("04A2B3C4D5E6F7", None, None),
        ("0A1B2C3D4E5F", "MacAddress", "0A1B2C3D4E5F"),  # 2.0.1
        ("VID:0A1B2C3D4E5F", "MacAddress", "0A1B2C3D4E5F"),
        ("0000A453EE033156", "EVCCID", "A453EE033156"),  # 2.1
        ("0A1B2C3D4E5F", "ISO14443", None),
        ("garbage", "MacAddress", None),
    ],
)
def test_from_token(token, token_type, canonical):
    ident = identifiers.from_token(token, token_type)
    assert (ident.canonical if ident else None) == canonical
    if ident:
        assert ident.raw == token


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("VID: 0A1B2C3D4E5F", "0A1B2C3D4E5F"),  # a space after the prefix
        ("VID:0a-1b-2c-3d-4e-5f", "0A1B2C3D4E5F"),  # prefix, dashes and lower case at once
        ("00000A1B2C3D4E5F", "0A1B2C3D4E5F"),  # DIN padding in front of a MAC that itself starts with 0
        ("0000:0A1B:2C3D:4E5F", "0A1B2C3D4E5F"),  # DIN id written in groups
        ("ffffffffffff", "FFFFFFFFFFFF"),
        ("000000000000", "000000000000"),
        ("0000000000000000", "000000000000"),  # 16 zeros: padding plus an all-zero MAC
        ("000A1B2C3D4E5F", None),  # 14 hex: neither a MAC nor a DIN id
        ("000A1B2C3D4E5F6", None),  # 15
        ("00000A1B2C3D4E5F0", None),  # 17
        ("   ", None),
        ("VID:0000", None),
        ("0A:1B:2C:3D:4E:5F:", "0A1B2C3D4E5F"),  # a trailing separator is only a separator
        ("0A_1B_2C_3D_4E_5F", None),  # underscores are not separators
        ("ÄA1B2C3D4E5F", None),
    ],
)
def test_normalize_edges(raw, canonical):
    assert identifiers.normalize(raw) == canonical
