"""The API's JSON: DRF's compact JSON, encoded by orjson.

A page of 100 wide rows spent about a tenth of its request in `json.dumps` with DRF's encoder
class (Python's encoder calls back into Python for every value it does not know). orjson
writes the same text for the values a response holds: strings byte for byte (the same escapes,
UTF-8, `ensure_ascii` off as DRF's `UNICODE_JSON`), integers, booleans and null alike, floats as
the shortest text that reads back as the same number (only very small or very large ones are
written differently: `0.00001` where Python writes `1e-05`). Anything orjson does not encode itself (a datetime, a lazy
translation, a decimal) goes through DRF's own encoder, so it comes out as DRF writes it. An
indented response (`Accept: application/json; indent=4`) takes DRF's path, and anything orjson
refuses (an integer beyond 64 bits) DRF's `json.dumps` with its compact settings. One difference
is meant: a float that is not a number (NaN, an infinity), which DRF's strict JSON refuses with a
server error, is written as null.

A value may also come as JSON text already (`JSONArray`, rows PostgreSQL rendered:
referee.api.json_sql): orjson writes it as it is; DRF's path reads it back first."""

import json

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# DRF escapes these two for JavaScript (JSON allows them raw in strings, JavaScript did not).
JS_LINE_BREAKS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class JSONArray:
    """An array given as its items' JSON texts, written into a response as they are. An item may
    also be several items' texts joined by commas (`joined`): only whether the array is empty is
    known of its length then."""

    __slots__ = ("items",)

    def __init__(self):
        self.items: list[str] = []

    @classmethod
    def joined(cls, text: str) -> "JSONArray":
        """The array of the items in `text`, their texts joined by commas ("" for none)."""
        array = cls()
        if text:
            array.items.append(text)
        return array

    def append(self, text: str) -> None:
        self.items.append(text)

    def __len__(self) -> int:
        return len(self.items)

    def text(self) -> str:
        return f"[{','.join(self.items)}]"


class Encoder(JSONEncoder):
    """DRF's encoder, reading a JSONArray back (an indented response re-indents its items)."""

    def default(self, obj):
        return json.loads(obj.text()) if type(obj) is JSONArray else super().default(obj)


DRF_DEFAULT = JSONEncoder().default


def _orjson_default(obj):
    return orjson.Fragment(obj.text()) if type(obj) is JSONArray else DRF_DEFAULT(obj)


def json_bytes(value) -> bytes:
    """`value` as the API's compact JSON, before the JavaScript line breaks (which the renderer
    escapes in the whole response): orjson's, or DRF's compact strict `json.dumps` for a value
    only Python's encoder writes."""
    try:
        return orjson.dumps(value, default=_orjson_default, option=OPTIONS)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value, cls=Encoder, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class JSONRenderer(renderers.JSONRenderer):
    encoder_class = Encoder

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (data is None or self.ensure_ascii or not self.compact or not self.strict
                or self.get_indent(accepted_media_type, renderer_context or {}) is not None):
            return super().render(data, accepted_media_type, renderer_context)
        text = json_bytes(data)
        for line_break, escaped in JS_LINE_BREAKS:
            if line_break in text:
                text = text.replace(line_break, escaped)
        return text
