"""Writes a validated import (schema.ImportData) by natural keys: existing rows are updated in
place, missing ones created, nothing is ever deleted. Runs inside the caller's transaction.

Fields absent from a record keep their stored value (or the model default on creation), so a
partial file never clears data it does not mention.

Rows are looked up in bulk where the key is exact (users by username, the call's proposals with
their teams by slug, profiles by user), and not at all under a row this run creates: a new call's
rounds, a new proposal's team or a new profile's publications cannot exist yet.

A dry run (`Loader(write=False)`) takes the same path and counts the same, but writes nothing: a
row to create is built in memory only. Most of an import's cost is its inserts, so a dry run of a
new call costs a fraction of the import.
"""

from collections import Counter, defaultdict

from django.db import models
from django.utils import timezone

from referee.calls.domain import create_call
from referee.calls.models import Call, Proposal, Round
from referee.core import audit
from referee.core.accounts import create_user
from referee.core.enums import AuditEventType
from referee.core.models import Customer, User
from referee.imports.schema import ImportData
from referee.reviewers.enums import InvitationStatus
from referee.reviewers.models import (
    CallReviewerPool,
    ReviewerAffiliation,
    ReviewerExpertise,
    ReviewerProfile,
    ReviewerPublication,
)

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def pick(values: dict, *names: str, **renamed: str) -> dict:
    """The present `names` of `values`, plus `renamed` (model field → file field) when present."""
    out = {n: values[n] for n in names if n in values}
    out.update({field: values[key] for field, key in renamed.items() if key in values})
    return out


def publication_lookup(profile: ReviewerProfile, p: dict) -> dict:
    """DOI, else title and year; a DOI added to a paper stored without one finds that row."""
    by_title = {"profile": profile, "title__iexact": p["title"], "publication_year": p["publication_year"]}
    if not p.get("doi"):
        return by_title
    by_doi = {"profile": profile, "doi__iexact": p["doi"]}
    if ReviewerPublication.objects.filter(**by_doi).exists():
        return by_doi
    return by_title | {"doi__isnull": True}


NOT_LOOKED_UP = object()
BATCH = 900  # keys per `IN (…)`, below any database's limit on parameters


def stored_by(queryset, field: str, keys: list) -> dict:
    """{key: row} of the rows whose `field` is one of `keys` (exact match)."""
    rows = {}
    for start in range(0, len(keys), BATCH):
        rows.update({getattr(row, field): row for row in queryset.filter(**{f"{field}__in": keys[start:start + BATCH]})})
    return rows


class Loader:
    def __init__(self, tick=None, write: bool = True):
        self.write = write
        self.stats: dict[str, Counter] = defaultdict(Counter)
        self.tick = tick or (lambda n=1: None)
        self.now = timezone.now()
        self._users: dict[str, User] = {}
        self._orgs: dict[str, Customer] = {}
        self._profiles: dict[str, ReviewerProfile] = {}
        self._stored: dict[str, dict] = {}  # rows looked up in bulk, per section
        self._new: dict[int, models.Model] = {}  # rows this run created (kept alive: keyed by id())

    # -- helpers -------------------------------------------------------------------------------

    def is_new(self, obj: models.Model) -> bool:
        """Created by this run (or built by a dry run): nothing in the database hangs under it yet."""
        return obj.pk is None or id(obj) in self._new

    def upsert(self, model: type[models.Model], lookup: dict, values: dict, *, on_create: dict | None = None,
               create=None, found=NOT_LOOKED_UP):
        """The row matching `lookup` with `values` applied, and whether it was created/updated.

        Lookup entries without `__` also initialise a new row; `on_create` holds values only a
        new row gets. `create` replaces `model.objects.create` (domain constructors); a dry run
        builds the row unsaved instead. `found`: the row already looked up in bulk (None: none)."""
        obj = found
        if found is NOT_LOOKED_UP:
            under_new = any(isinstance(v, models.Model) and self.is_new(v) for v in lookup.values())
            obj = None if under_new else model.objects.filter(**lookup).order_by("pk").first()
        if obj is None:
            fields = {k: v for k, v in lookup.items() if "__" not in k} | (on_create or {}) | values
            obj = (create or model.objects.create)(**fields) if self.write else model(**fields)
            self._new[id(obj)] = obj
            return obj, CREATED
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        for name in changed:
            setattr(obj, name, values[name])
        if changed and self.write:
            obj.save()  # full save: model save() hooks (Proposal.call) must run
        return obj, UPDATED if changed else UNCHANGED

    def set_members(self, obj, field: str, users: list[User], status: str) -> str:
        """Replace the many-to-many set of users `obj.<field>`; a change turns "unchanged" into "updated"."""
        wanted = {u.pk for u in users}
        if self.is_new(obj):  # its set is new with it
            if self.write and wanted:
                getattr(obj, field).add(*wanted)
            return status
        relation = getattr(obj, field)
        if {u.pk for u in relation.all()} != wanted:  # .all(): the bulk look-up prefetched it
            if self.write:
                relation.set(wanted)
            return UPDATED if status == UNCHANGED else status
        return status

    def count(self, entity: str, status: str) -> None:
        self.stats[entity][status] += 1

    def user(self, username: str | None) -> User | None:
        if username is None:
            return None
        if username not in self._users:
            self._users[username] = User.objects.get(username=username)
        return self._users[username]

    def profile_of(self, user: User) -> ReviewerProfile:
        """The profile the reviewers section loaded (a dry run's may be unsaved), else the stored one."""
        if user.username not in self._profiles:
            self._profiles[user.username] = ReviewerProfile.objects.get(user=user)
        return self._profiles[user.username]

    def org_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        if name not in self._orgs:
            self._orgs[name] = Customer.objects.filter(name=name).order_by("pk").first()
        return self._orgs[name].pk

    # -- sections, in dependency order ----------------------------------------------------------

    def load(self, data: ImportData) -> dict[str, Counter]:
        s = data.sections
        for record in s["organisations"]:
            self.organisation(record.values)
        self._stored["users"] = stored_by(User.objects, "username", [r.values["username"] for r in s["users"]])
        for record in s["users"]:
            self.user_row(record.values)
        call = self.call(data.call.values) if data.call else None
        old_call = call is not None and not self.is_new(call)
        rounds = {r.slug: r for r in call.rounds.all()} if old_call else {}
        for record in s["rounds"]:
            rounds[record.values["slug"]] = self.round(call, record.values)
        self._stored["proposals"] = stored_by(
            Proposal.objects.filter(call=call).prefetch_related("team"), "slug",
            [r.values["slug"] for r in s["proposals"]]) if old_call else {}
        for record in s["proposals"]:
            self.proposal(rounds[record.values["round"]], record.values)
        user_ids = [self.user(r.values["user"]).pk for r in s["reviewers"]]
        self._stored["profiles"] = stored_by(ReviewerProfile.objects, "user_id", [pk for pk in user_ids if pk])
        for record in s["reviewers"]:
            self.reviewer(record.values)
        for record in s["pool"]:
            self.pool_entry(call, record.values)
        stats = dict(self.stats)
        if call and self.write:
            # Imports bypass the domain actions' own events: one event tells who changed the call how.
            audit.record(AuditEventType.CALL_IMPORTED, call, call=call, message="bulk import",
                         counts={entity: dict(c) for entity, c in stats.items()})
        return stats

    def organisation(self, v: dict) -> None:
        org, status = self.upsert(Customer, {"name": v["name"]}, pick(v, "country"))
        self._orgs[org.name] = org
        self.count("organisations", status)
        self.tick()

    def user_row(self, v: dict) -> None:
        values = pick(v, "email", "first_name", "last_name", "is_staff", "is_support")
        user, status = self.upsert(User, {"username": v["username"]}, values, create=create_user,
                                   found=self._stored["users"].get(v["username"]))
        self._users[user.username] = user
        self.count("users", status)
        self.tick()

    def call(self, v: dict) -> Call:
        values = pick(v, "name", "description", "state", manager_id="organisation")
        if "manager_id" in values:
            values["manager_id"] = self.org_id(values["manager_id"])
        call, status = self.upsert(Call, {"slug": v["slug"]}, values, create=create_call)
        if "managers" in v:
            status = self.set_members(call, "managers", [self.user(u) for u in v["managers"]], status)
        self.count("calls", status)
        self.tick()
        return call

    def round(self, call: Call, v: dict) -> Round:
        values = pick(v, "name", "start_time", "cutoff_time", "review_duration_in_days")
        round_, status = self.upsert(Round, {"call": call, "slug": v["slug"]}, values)
        self.count("rounds", status)
        self.tick()
        return round_

    def proposal(self, round_: Round, v: dict) -> None:
        values = pick(v, "name", "project_summary", "description", "doi", "state")
        values["round_id"] = round_.pk
        if "creator" in v:
            creator = self.user(v["creator"])
            values["created_by_id"] = creator.pk if creator else None
        if "organisation" in v:
            values["organization_id"] = self.org_id(v["organisation"])
        # The slug is unique within the call, whichever round the proposal sits in.
        proposal, status = self.upsert(Proposal, {"call": round_.call, "slug": v["slug"]}, values,
                                       found=self._stored["proposals"].get(v["slug"]))
        if "team" in v or "creator" in v:
            # §2: the team includes the creator.
            if "team" in v:
                team = [self.user(u) for u in v["team"]]
            else:
                team = [] if self.is_new(proposal) else list(proposal.team.all())
            if proposal.created_by_id and proposal.created_by_id not in {u.pk for u in team}:
                team.append(proposal.created_by)
            status = self.set_members(proposal, "team", team, status)
        self.count("proposals", status)
        self.tick()

    def reviewer(self, v: dict) -> None:
        user = self.user(v["user"])
        values = pick(v, "orcid_id", "biography", "alternative_names", "available_for_reviews", "is_published",
                      "career_stage")
        profile, status = self.upsert(ReviewerProfile, {"user": user}, values,
                                      found=self._stored["profiles"].get(user.pk) if user.pk else None)
        self._profiles[user.username] = profile
        if profile.is_published and profile.published_at is None and self.write:
            profile.published_at = self.now
            profile.save(update_fields=["published_at", "modified"])
        self.count("reviewers", status)
        for a in v.get("affiliations", []):
            a = a.values
            values = pick(a, "organization_identifier", "department", "position_title", "end_date", "is_primary",
                          "affiliation_type", "country")
            values["organization_id"] = self.org_id(a["organisation"])
            lookup = {"profile": profile, "organization_name": a["organisation"], "start_date": a.get("start_date")}
            self.count("affiliations", self.upsert(ReviewerAffiliation, lookup, values)[1])
        for e in v.get("expertise", []):
            e = e.values
            values = pick(e, "expertise_keyword", "proficiency_level", "years_experience", "last_active_date")
            lookup = {"profile": profile, "expertise_keyword__iexact": e["expertise_keyword"]}
            self.count("expertise", self.upsert(ReviewerExpertise, lookup, values)[1])
        for p in v.get("publications", []):
            p = p.values
            values = pick(p, "title", "publication_year", "venue", "doi", "venue_type", "abstract", "coauthors",
                          "external_ids", "is_excluded_from_matching")
            lookup = {"profile": profile} if self.is_new(profile) else publication_lookup(profile, p)
            self.count("publications", self.upsert(ReviewerPublication, lookup, values)[1])
        self.tick()

    def pool_entry(self, call: Call, v: dict) -> None:
        user = self.user(v["reviewer"])
        values = pick(v, "invitation_status", "max_assignments")
        lookup = {"call": call, "reviewer": self.profile_of(user)}
        entry, status = self.upsert(CallReviewerPool, lookup, values, on_create={"invited_at": self.now})
        if entry.invitation_status in (InvitationStatus.ACCEPTED, InvitationStatus.DECLINED) and entry.response_date is None and self.write:
            entry.response_date = self.now
            entry.save(update_fields=["response_date", "modified"])
        self.count("pool entries", status)
        self.tick()
