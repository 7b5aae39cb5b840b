"""The one request parser of the API: DRF's JSON parser with a nesting limit and no NUL characters.

Python's JSON decoder recurses once per level: 50,000 levels raise RecursionError, which DRF
does not catch (a 500), and a body just under the interpreter's limit parses but breaks whatever
walks it later. No body of this API nests deeper than a handful of levels."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error - nested deeper than {MAX_DEPTH} levels."


NUL = "JSON parse error - strings must not contain the NUL character (\\u0000)."


def nesting(value) -> int:
    """Depth of arrays and objects in `value` (a scalar is 0), walked without recursion; stops
    counting once past MAX_DEPTH. Raises ParseError(NUL) on a string holding U+0000, which
    PostgreSQL cannot store in text (it would be a 500 wherever the value reaches a query)."""
    deepest, pending = 0, [(value, 1)]
    while pending and deepest <= MAX_DEPTH:
        node, level = pending.pop()
        if isinstance(node, str):
            if "\x00" in node:
                raise ParseError(NUL)
            continue
        children = [*node.keys(), *node.values()] if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if nesting(data) > MAX_DEPTH:
            raise ParseError(TOO_DEEP)
        return data
