"""Validation of an import file (docs/import-format.md).

Every check runs before anything is written: shapes, types, enums, formats, dates, keys unique
within the file, and references to users, organisations, rounds and profiles (in the file or the
database). All problems are collected, each naming its record, so one run reports them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from referee.calls.models import Call, Proposal
from referee.imports.checks import (
    USERNAME,
    Invalid,
    a_date,
    a_datetime,
    an_object,
    blank_or,
    boolean,
    choice,
    coauthor,
    country,
    email,
    integer,
    list_of,
    nullable,
    orcid,
    org_ref,
    show,
    slug,
    text,
    user_ref,
)
from referee.reviewers.enums import CareerStage
from referee.reviewers.models import (
    MAX_ASSIGNMENTS_MAX,
    MAX_ASSIGNMENTS_MIN,
    CallReviewerPool,
    ReviewerAffiliation,
    ReviewerExpertise,
    ReviewerPublication,
)

FORMAT_VERSION = 1


class ImportInvalid(Exception):
    """The file was refused; `errors` lists every problem, each prefixed by its record."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Spec:
    """One kind of record: its checkers, required fields, naming key, the fields that name it
    for people (a title, a person's names) and nested record lists."""

    fields: dict[str, Callable]
    required: tuple[str, ...] = ()
    key: str | None = None
    title: tuple[str, ...] = ()
    nested: dict[str, Spec] = field(default_factory=dict)
    check: Callable[[dict], list[str]] = lambda record: []


def dates_ordered(start, end, message):
    return lambda r: [message] if r.get(start) and r.get(end) and r[end] < r[start] else []


def round_times(r):
    if r.get("start_time") and r.get("cutoff_time") and r["cutoff_time"] <= r["start_time"]:
        return ["cutoff_time: must be after start_time"]
    return []


AFFILIATION = Spec(
    {"organisation": org_ref, "organization_identifier": text(255), "department": text(255),
     "position_title": text(255), "start_date": nullable(a_date), "end_date": nullable(a_date),
     "is_primary": boolean, "affiliation_type": choice(ReviewerAffiliation.Type.choices), "country": country},
    required=("organisation",), key="organisation",
    check=dates_ordered("start_date", "end_date", "end_date: End date cannot be before start date."),
)
EXPERTISE = Spec(
    {"expertise_keyword": text(255, blank=False), "proficiency_level": choice(ReviewerExpertise.Proficiency.choices),
     "years_experience": nullable(integer(0, 100)), "last_active_date": nullable(a_date)},
    required=("expertise_keyword",), key="expertise_keyword",
)
PUBLICATION = Spec(
    {"title": text(1000, blank=False), "publication_year": integer(1900, 2100), "venue": text(500),
     "doi": nullable(text(255)), "venue_type": choice(ReviewerPublication.Venue.choices), "abstract": text(),
     "coauthors": list_of(coauthor), "external_ids": an_object, "is_excluded_from_matching": boolean},
    required=("title", "publication_year"), key="doi", title=("title",),
)
SPECS = {
    "organisations": Spec({"name": org_ref, "country": country}, required=("name",), key="name"),
    "users": Spec(
        {"username": text(150, blank=False, pattern=USERNAME, what="username"), "email": email,
         "first_name": text(150), "last_name": text(150), "is_staff": boolean, "is_support": boolean},
        required=("username",), key="username", title=("first_name", "last_name"),
    ),
    "call": Spec(
        {"slug": slug, "name": text(255, blank=False), "description": text(), "state": choice(Call.State.choices),
         "organisation": nullable(org_ref), "managers": list_of(user_ref)},
        required=("slug", "name"), key="slug", title=("name",),
    ),
    "rounds": Spec(
        {"slug": slug, "name": text(255), "start_time": a_datetime, "cutoff_time": a_datetime,
         "review_duration_in_days": nullable(integer(1, 3650))},
        required=("slug", "start_time", "cutoff_time"), key="slug", title=("name",), check=round_times,
    ),
    "proposals": Spec(
        {"slug": slug, "round": slug, "name": text(255, blank=False), "project_summary": text(),
         "description": text(), "doi": text(255), "state": choice(Proposal.State.choices), "creator": nullable(user_ref),
         "team": list_of(user_ref), "organisation": nullable(org_ref)},
        required=("slug", "round", "name"), key="slug", title=("name",),
    ),
    "reviewers": Spec(
        {"user": user_ref, "orcid_id": nullable(orcid), "biography": text(),
         "alternative_names": list_of(text(255, blank=False)), "available_for_reviews": boolean,
         "is_published": boolean, "career_stage": blank_or(choice(CareerStage.choices))},
        required=("user",), key="user",
        nested={"affiliations": AFFILIATION, "expertise": EXPERTISE, "publications": PUBLICATION},
    ),
    "pool": Spec(
        {"reviewer": user_ref, "invitation_status": choice(CallReviewerPool.Status.choices),
         "max_assignments": integer(MAX_ASSIGNMENTS_MIN, MAX_ASSIGNMENTS_MAX)},
        required=("reviewer",), key="reviewer",
    ),
}
SECTIONS = ("organisations", "users", "rounds", "proposals", "reviewers", "pool")


@dataclass
class Record:
    label: str  # e.g. `proposals[3] "Ocean eddies" (slug "x")`, the prefix of every message about it
    values: dict[str, Any]


@dataclass
class ImportData:
    call: Record | None
    sections: dict[str, list[Record]]
    # Keys named in the file, malformed records included: a reference to one of those is not
    # reported again as missing.
    declared: dict[str, set[str]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return (self.call is not None) + sum(map(len, self.sections.values()))


TITLE_LENGTH = 80


def label_of(path: str, raw, spec: Spec) -> str:
    """Where the record is, what it is called and its key: `proposals[3] "Ocean eddies" (slug "x")`.
    A name alone does not find a record in a file of hundreds, nor an index alone a person."""
    if not isinstance(raw, dict):
        return path
    names = [raw[name].strip() for name in spec.title if isinstance(raw.get(name), str) and raw[name].strip()]
    title = " ".join(names)
    if len(title) > TITLE_LENGTH:
        title = title[:TITLE_LENGTH - 1].rstrip() + "…"
    value = raw.get(spec.key) if spec.key else None
    return "".join([path, f" {show(title)}" if title else "", f" ({spec.key} {show(value)})" if isinstance(value, str) else ""])


def clean(raw, spec: Spec, label: str, errors: list[str]) -> dict | None:
    if not isinstance(raw, dict):
        errors.append(f"{label}: must be an object, not {show(raw)}")
        return None
    values, ok = {}, True
    for name in sorted(set(raw) - set(spec.fields) - set(spec.nested)):
        errors.append(f"{label}: unknown field {show(name)}")
        ok = False
    for name in spec.required:
        if raw.get(name) is None:
            errors.append(f"{label}: {name}: is required")
            ok = False
    for name, value in raw.items():
        if name in spec.nested:
            before = len(errors)
            values[name] = clean_list(value, spec.nested[name], f"{label}: {name}", errors)
            ok = ok and len(errors) == before
            continue
        if name not in spec.fields or (value is None and name in spec.required):
            continue
        try:
            values[name] = spec.fields[name](value)
        except Invalid as exc:
            errors.append(f"{label}: {name}: {exc}")
            ok = False
    if not ok:
        return None
    problems = spec.check(values)
    errors.extend(f"{label}: {problem}" for problem in problems)
    return None if problems else values


def clean_list(raw, spec: Spec, path: str, errors: list[str]) -> list[Record] | None:
    """The well-formed records of a list (errors recorded for the others); None if not a list."""
    if not isinstance(raw, list):
        errors.append(f"{path}: must be a list, not {show(raw)}")
        return None
    records = []
    for i, item in enumerate(raw):
        label = label_of(f"{path}[{i}]", item, spec)
        values = clean(item, spec, label, errors)
        if values is not None:
            records.append(Record(label, values))
    return records


def unique(records: list[Record], key: Callable[[dict], Any], name: str, errors: list[str]) -> None:
    seen = {}
    for record in records:
        k = key(record.values)
        if k is None:
            continue
        if k in seen:
            errors.append(f"{record.label}: {name}: duplicate of {seen[k]}")
        else:
            seen[k] = record.label


def publication_key(p: dict):
    return ("doi", p["doi"].lower()) if p.get("doi") else ("title", p["title"].lower(), p["publication_year"])


def validate(raw, errors: list[str]) -> ImportData:
    """The file's well-formed records; every problem of shape, type, format or key goes to `errors`."""
    if not isinstance(raw, dict):
        errors.append(f"file: must be a JSON object, not {type(raw).__name__}")
        return ImportData(None, {name: [] for name in SECTIONS})
    errors += [f"file: unknown section {show(k)}" for k in sorted(set(raw) - {"version", "call", *SECTIONS})]
    if raw.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        errors.append(f"version: {show(raw['version'])} is not supported (expected {FORMAT_VERSION})")
    call = None
    if raw.get("call") is not None:
        label = label_of("call", raw["call"], SPECS["call"])
        values = clean(raw["call"], SPECS["call"], label, errors)
        call = Record(label, values) if values is not None else None
    sections = {}
    for name in SECTIONS:
        sections[name] = clean_list(raw.get(name, []), SPECS[name], name, errors) or []
        if sections[name] and raw.get("call") is None and name in ("rounds", "proposals", "pool"):
            errors.append(f"{name}: needs a call section")
    data = ImportData(call, sections, declared(raw))
    check_keys(data, errors)
    return data


def declared(raw: dict) -> dict[str, set[str]]:
    keys = {"organisations": ("name",), "users": ("username", "email"), "rounds": ("slug",), "reviewers": ("user",)}
    found = {section: set() for section in keys}
    for section, names in keys.items():
        items = raw.get(section)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                found[section].update(item[n].lower() for n in names if isinstance(item.get(n), str))
    return found


def check_keys(data: ImportData, errors: list[str]) -> None:
    s = data.sections
    unique(s["organisations"], lambda v: v["name"], "name", errors)
    unique(s["users"], lambda v: v["username"], "username", errors)
    unique(s["users"], lambda v: v.get("email", "").lower() or None, "email", errors)
    unique(s["rounds"], lambda v: v["slug"], "slug", errors)
    unique(s["proposals"], lambda v: v["slug"], "slug", errors)
    unique(s["reviewers"], lambda v: v.get("orcid_id"), "orcid_id", errors)
    for r in s["reviewers"]:
        unique(r.values.get("affiliations", []), lambda v: (v["organisation"], v.get("start_date")),
               "organisation and start_date", errors)
        unique(r.values.get("expertise", []), lambda v: v["expertise_keyword"].lower(), "expertise_keyword", errors)
        unique(r.values.get("publications", []), publication_key, "doi or title and publication_year", errors)
