"""referee.api.renderers writes the JSON DRF's renderer writes, byte for byte, for what responses
hold; floats read back as the same numbers; indented JSON and values only Python's encoder
knows take DRF's path; a float that is not a number is null instead of a server error."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from referee.api.renderers import JSONRenderer

EVERY_CHARACTER = "".join(chr(code) for code in range(0x3000)) + "\u2028\u2029 😀 Ünïcode — notes"
PAYLOADS = [
    {"text": EVERY_CHARACTER},
    [{"url": "http://testserver/api/assignment-batches/9e00f2772cef4278b67974e046a07a6a/", "count": 3,
      "score": 0.8123, "flag": True, "none": None, "empty": "", "nested": {"list": [1, 2.5, -0.0, 100.0]}}],
    ReturnList([ReturnDict({"a": 1}, serializer=None)], serializer=None),
    {"when": datetime(2026, 12, 4, 1, 2, 3, 456789, tzinfo=UTC),
     "offset": datetime(2026, 12, 4, 1, 2, 3, tzinfo=timezone(timedelta(hours=1))),
     "day": date(2026, 12, 4), "naive": datetime(2026, 12, 4, 1, 2, 3), "span": timedelta(days=1, seconds=5)},
    {"key": uuid.UUID("9e00f277-2cef-4278-b679-74e046a07a6a"), "amount": Decimal("12.50"),
     "lazy": gettext_lazy("Not found."), "tuple": (1, "two"), "max": 2**63 - 1, "min": -(2**63)},
    {"huge": 2**70},  # beyond orjson's integers: DRF's path
    [],
    {},
]


def drf(data, media_type=None):
    return renderers.JSONRenderer().render(data, media_type)


@pytest.mark.parametrize("data", PAYLOADS)
def test_the_same_bytes_as_drf(data):
    assert JSONRenderer().render(data) == drf(data)


def test_floats_read_back_as_the_same_numbers():
    numbers = [0.0001, 1e-05, 3.326951853601291e-06, 1e16, 123456789.125, 5e-324, 1.7976931348623157e308]
    ours = JSONRenderer().render(numbers)
    assert json.loads(ours) == numbers == json.loads(drf(numbers))
    assert b"0.00001" in ours and b"1e-05" in drf(numbers)  # only the text of tiny or huge ones differs


def test_indented_json_is_drfs():
    data = {"a": [1, {"b": "c"}]}
    media_type = "application/json; indent=4"
    assert JSONRenderer().render(data, media_type) == drf(data, media_type)
    assert b"\n    " in JSONRenderer().render(data, media_type)


def test_nothing_renders_as_nothing():
    assert JSONRenderer().render(None) == b"" == drf(None)


def test_a_float_that_is_not_a_number_is_null_where_drf_fails():
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        drf({"score": float("nan")})
    assert JSONRenderer().render({"score": float("nan"), "top": float("inf")}) == b'{"score":null,"top":null}'


def test_the_api_answers_through_it(db, api):
    response = api().get("/api/customers/")
    assert response.status_code == 401
    assert type(response.accepted_renderer) is JSONRenderer
    assert response.content == drf(response.data)
