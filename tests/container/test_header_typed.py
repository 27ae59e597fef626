"""The typed header round-trips every field, keeps what it does not know, and validates."""

import copy

import pytest
from etok_samples import make_header

from elastictok_cli.container import ContainerError, Header
from elastictok_cli.container.writer import encode_head


def _full(header: dict) -> dict:
    """The header as a writer stores it (derived fields filled in)."""
    return encode_head(header)[0]


def test_round_trip_is_exact_key_order_included():
    wire = _full(make_header())
    typed = Header.from_dict(copy.deepcopy(wire))
    assert typed.to_dict() == wire
    assert list(typed.to_dict()) == list(wire)
    assert typed.video.tiles == wire["video"]["tiles_x"] * wire["video"]["tiles_y"]
    assert typed.bits_per_token == wire["bits_per_token"]


def test_unknown_fields_travel_along():
    header = make_header()
    header["video"]["color_space"] = "bt709"
    header["model"]["config"]["future_knob"] = 3
    header["model"]["origin"] = "lab"
    header["future"] = {"deep": [1]}
    typed = Header.from_dict(_full(header))
    back = typed.to_dict()
    assert back["video"]["color_space"] == "bt709"
    assert back["model"]["config"]["future_knob"] == 3
    assert back["model"]["origin"] == "lab"
    assert back["future"] == {"deep": [1]}


def test_optional_encode_fields_are_omitted_when_unset():
    wire = _full(make_header())
    wire["encode"].pop("target", None)
    typed = Header.from_dict(wire)
    assert typed.encode.target is None and typed.encode.optimize_steps == 0
    assert "target" not in typed.to_dict()["encode"]
    assert "optimize_steps" not in typed.to_dict()["encode"]


def test_invalid_dict_is_refused():
    wire = _full(make_header())
    wire["video"]["width"] = -1
    with pytest.raises(ContainerError, match="video.width"):
        Header.from_dict(wire)


def test_decoding_mismatch_names_the_fact():
    typed = Header.from_dict(_full(make_header()))
    other = Header.from_dict(_full(make_header())).model
    assert typed.model.decoding_mismatch(other) is None
    changed = type(other)(**{**other.__dict__, "max_tokens": other.max_tokens // 2})
    assert "max_tokens" in typed.model.decoding_mismatch(changed)
