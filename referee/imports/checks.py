"""The value checks of an import file's records (docs/import-format.md): each takes a raw JSON
value and gives the cleaned value, or raises Invalid saying what is wrong with it; the record
walker (referee.imports.schema) adds where it happened."""

import json
import re
from datetime import UTC, date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.dateparse import parse_datetime

from referee.core.countries import ALPHA2
from referee.reviewers.models import orcid_validator

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
USERNAME = re.compile(r"^[\w.@+-]+$")


class Invalid(Exception):
    """One value's problem; the record walker adds where it happened."""


def show(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def text(max_length: int | None = None, *, blank: bool = True, pattern: re.Pattern | None = None, what="text"):
    def check(value):
        if not isinstance(value, str):
            raise Invalid(f"must be a string, not {show(value)}")
        if "\x00" in value:  # PostgreSQL refuses NUL in text; say so here rather than fail mid-write
            raise Invalid("must not contain NUL characters")
        value = value.strip() if pattern else value
        if not blank and not value.strip():
            raise Invalid("must not be empty")
        if max_length and len(value) > max_length:
            raise Invalid(f"must be at most {max_length} characters")
        if pattern and not pattern.match(value):
            raise Invalid(f"{show(value)} is not a valid {what}")
        return value
    return check


def nullable(check):
    return lambda value: None if value is None else check(value)


def blank_or(check):
    return lambda value: "" if value == "" else check(value)


def choice(choices):
    values = [v for v, _ in choices]

    def check(value):
        if value not in values:
            raise Invalid(f"{show(value)} is not one of {', '.join(values)}")
        return value
    return check


def boolean(value):
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, not {show(value)}")
    return value


def integer(low: int, high: int):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(f"must be an integer between {low} and {high}, not {show(value)}")
        return value
    return check


def a_date(value):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(f"must be a date YYYY-MM-DD, not {show(value)}") from None


def a_datetime(value):
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise Invalid(f"must be an ISO 8601 date-time, not {show(value)}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # naive input = UTC (§1)


def orcid(value):
    if not isinstance(value, str) or not orcid_validator.regex.match(value):
        raise Invalid(f"{show(value)}: {orcid_validator.message}")
    return value


def email(value):
    value = text(254)(value).strip()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise Invalid(f"{show(value)} is not a valid e-mail address") from None
    return value


def list_of(check):
    def check_list(value):
        if not isinstance(value, list):
            raise Invalid(f"must be a list, not {show(value)}")
        cleaned = []
        for i, item in enumerate(value):
            try:
                cleaned.append(check(item))
            except Invalid as exc:
                raise Invalid(f"[{i}]: {exc}") from None
        return cleaned
    return check_list


def coauthor(value):
    """§2: "Name" or {"name", "orcid"?}."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, dict) and set(value) <= {"name", "orcid"} and isinstance(value.get("name"), str) \
            and value["name"].strip():
        if value.get("orcid") is not None:
            orcid(value["orcid"])
        return value
    raise Invalid(f'must be a name or {{"name", "orcid"}}, not {show(value)}')


def an_object(value):
    if not isinstance(value, dict):
        raise Invalid(f"must be an object, not {show(value)}")
    return value


user_ref = text(254, blank=False)  # a username, or an e-mail address (contains "@")
org_ref = text(255, blank=False)


def country(value):
    """An ISO 3166-1 alpha-2 code, or "" for unknown."""
    if not isinstance(value, str) or (value and value not in ALPHA2):
        raise Invalid(f"{show(value)} is not an ISO 3166-1 alpha-2 country code (such as DE or FR)")
    return value


slug = text(255, blank=False, pattern=SLUG, what="slug")
