"""referee.api.columns renders a list page from its SQL rows exactly as the instance path does
(referee.api.rows, DRF's own rules), with the same statements, for every list and role on the
demo call plus rows whose nullable relations are empty; pages it cannot read run no query of
their own and take the instance path."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from referee.api import columns, queries, viewsets
from referee.assignments.models import AssignmentBatch, ProposedAssignment
from referee.assignments.serializers import AssignmentBatchListSerializer
from referee.assignments.views import LIST_COLUMNS
from referee.calls.models import Call, Proposal
from referee.conflicts.models import COIDetectionJob
from referee.core.derived import derived
from referee.core.models import AuditEvent, Customer, User
from referee.core.serializers import UserSerializer
from referee.demo import CALL_SLUG
from referee.reviewers.models import CallReviewerPool, ReviewerBid, ReviewerProfile
from referee.reviewers.serializers_profiles import PROFILE_ROWS, ReviewerProfileSerializer
from tests import factories as f
from tests.helpers import API_LISTS, assert_listed_rows_read_only_what_they_show, client_for

pytestmark = pytest.mark.django_db

CALL_LISTS = ["reviewer-pool", "conflicts", "proposed-assignments"]
# The lists whose rows the columns path must read (the others need instances: profiles,
# proposals and calls have nested rows (a profile's are rendered from columns, on their own: see
# the test of them below), a detection job's result is a nested serializer, and a user's token
# is read by a model query).
FROM_COLUMNS = {"AssignmentBatchListSerializer", "AssignmentItemSerializer", "MyAssignmentBatchSerializer",
                "ProposalReviewSerializer", "CallReviewerPoolSerializer", "ConflictOfInterestSerializer",
                "ReviewerBidSerializer", "ProposedAssignmentSerializer", "AuditEventSerializer", "CustomerSerializer",
                "AssignmentConfigurationSerializer"}


@pytest.fixture
def demo(settings, tmp_path):
    """The demo call, with rows of the lists the demo leaves empty (conflicts of each rule and
    status, bids, proposed assignments, detection jobs) and rows whose nullable relations are
    empty: a batch nobody created, a pool entry nobody invited, an event without an actor."""
    settings.VAR_DIR = tmp_path / "var"
    call_command("load_demo", stdout=io.StringIO())
    call = Call.objects.get(slug=CALL_SLUG)
    entry = CallReviewerPool.objects.filter(call=call).order_by("created").first()
    f.batch(entry, status="sent", created_by=None, manager_notes="Ünïcode — notes")
    f.pool_entry(call, f.profile(f.user("uninvited", first_name="", last_name="")), invited_by=None)
    profiles = [entry.reviewer for entry in CallReviewerPool.objects.filter(call=call).order_by("created")[:6]]
    proposals = list(Proposal.objects.filter(round__call=call).order_by("created")[:6])
    for rank, (profile, proposal) in enumerate(zip(profiles, proposals, strict=False)):
        f.conflict(profile, proposal, rule=("recusal_required", "disclosure_only")[rank % 2],
                   status=("pending", "dismissed", "recused")[rank % 3])
        ReviewerBid.objects.create(reviewer=profile, proposal=proposal, call=call, bid=ReviewerBid.Bid.values[rank % len(ReviewerBid.Bid)])
        ProposedAssignment.objects.create(call=call, reviewer=profile, proposal=proposal, affinity_score=0.5 + rank / 20,
                                          probability=None if rank % 2 else 0.25, algorithm_used="minmax", rank=rank + 1)
    COIDetectionJob.objects.create(call=call, state="completed", total_pairs=40, processed_pairs=40)
    COIDetectionJob.objects.create(call=call, state="running", total_pairs=30, processed_pairs=7)  # 23.3 %
    COIDetectionJob.objects.create(call=call, state="failed")  # nothing counted: 0.0 %
    AuditEvent.objects.create(event_type="test.event", actor=None, call=call, message="system",
                              object_type="call", object_uuid=call.uuid)
    return call


def users(call):
    reviewer = User.objects.filter(reviewer_profile__pool_entries__batches__isnull=False).order_by("username").first()
    return {"staff": User.objects.filter(is_staff=True).order_by("username").first(),
            "manager": call.managers.order_by("username").first(),
            "reviewer": reviewer, "support": f.user("support-reader", is_support=True)}


def answer(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"page_size": 300})
    assert response.status_code in (200, 403), (path, response.status_code, response.content[:300])
    return response.status_code, response.content, len(queries)


def test_every_list_renders_the_same_from_columns_as_from_instances(demo, monkeypatch):
    taken = {}
    real = columns.page_rows

    def recording(serializer, page):
        rows = real(serializer, page)
        if rows != []:  # an empty page is empty either way
            taken.setdefault(type(serializer.child).__name__, set()).add(rows is not None)
        return rows

    paths = [*API_LISTS, *(f"/api/proposal-protected-calls/{demo.uuid.hex}/{name}/" for name in CALL_LISTS)]
    rendered = 0
    for role, user in users(demo).items():
        client = client_for(user)
        for path in paths:
            client.get(path, {"page_size": 300})  # per-process caches warm, for both runs
            monkeypatch.setattr(viewsets, "page_rows", recording)
            from_columns = answer(client, path)
            monkeypatch.setattr(viewsets, "page_rows", lambda serializer, page: None)
            from_instances = answer(client, path)
            assert from_columns[0] == from_instances[0], (role, path)
            assert from_columns[1] == from_instances[1], (role, path)  # the same bytes: keys, order, values
            assert from_columns[2] == from_instances[2], (role, path)  # the same statements
            rendered += len(json.loads(from_columns[1])) if from_columns[0] == 200 else 0
    assert rendered > 300  # the demo call fills the lists (420 rows when written)
    read_from_columns = {name for name, outcomes in taken.items() if True in outcomes}
    assert read_from_columns == FROM_COLUMNS


def test_nested_rows_of_profiles_render_the_same_from_columns_as_from_instances(demo, monkeypatch):
    """A profile's affiliations, expertise and publications are rendered from their columns
    (api.queries.attach_rendered), with and without an organisation, co-authors or identifiers.
    (On PostgreSQL the profile keeps them rendered, else the database renders them:
    api.stored_rows and api.json_sql, tests/api/test_stored_rows.py and test_json_sql.py; both
    turned off here, so that both databases test the columns path.)"""
    monkeypatch.setattr(PROFILE_ROWS, "attach", lambda profiles, serializer: None)
    monkeypatch.setattr(queries, "row_texts", lambda serializer, rows, key, ids: None)
    profiles = list(ReviewerProfile.objects.order_by("created")[:2])
    first, second = profiles
    first.affiliations.create(organization=f.customer("CERN"), organization_name="CERN", department="IT",
                              start_date="2020-01-01", is_primary=True)
    first.affiliations.create(organization_name="University of Tartu")
    first.expertise_set.create(expertise_keyword="graphs", proficiency_level="expert", years_experience=7)
    second.publications.create(title="Matching", publication_year=2021, coauthors=["A B", {"name": "C D"}],
                               external_ids={"arxiv": "2101.00001"}, abstract="Ünïcode — text")
    second.publications.create(title="Flows", publication_year=2019)
    taken, real = [], queries.rows_by

    def recording(serializer, page, key):
        pairs = real(serializer, page, key)
        taken.append((type(serializer.child).__name__, pairs is not None))
        return pairs

    staff = client_for(users(demo)["staff"])
    paths = ["/api/reviewer-profiles/", *(f"/api/reviewer-profiles/{profile.uuid.hex}/" for profile in profiles)]
    monkeypatch.setattr(queries, "rows_by", recording)
    from_columns = [answer(staff, path) for path in paths]
    monkeypatch.setattr(queries, "rows_by", lambda serializer, page, key: None)
    from_instances = [answer(staff, path) for path in paths]
    assert from_columns == from_instances  # status, bytes and statements
    assert {name for name, read in taken if read} == {
        "ReviewerAffiliationSerializer", "ReviewerExpertiseSerializer", "ReviewerPublicationSerializer"}
    assert all(read for _, read in taken)
    affiliations = {row["organization_name_display"]: row for row in json.loads(from_columns[1][1])["affiliations"]}
    assert affiliations["CERN"]["organization"] == Customer.objects.get(name="CERN").uuid.hex
    assert affiliations["University of Tartu"]["organization"] is None
    publications = {row["title"]: row for row in json.loads(from_columns[2][1])["publications"]}
    assert publications["Matching"]["coauthors"] == ["A B", {"name": "C D"}]
    assert publications["Matching"]["external_ids"] == {"arxiv": "2101.00001"}
    assert publications["Flows"]["coauthors"] == []


def test_missing_related_objects_render_as_null_nil_or_empty(demo):
    staff = users(demo)["staff"]
    batch = AssignmentBatch.objects.get(manager_notes="Ünïcode — notes")
    rows = client_for(staff).get("/api/assignment-batches/", {"page_size": 300}).json()
    row = next(row for row in rows if row["uuid"] == batch.uuid.hex)
    assert (row["created_by"], row["created_by_name"], row["manager_notes"]) == (None, "", "Ünïcode — notes")
    events = client_for(staff).get("/api/events/", {"event_type": "test.event"}).json()
    assert [event["actor"] for event in events] == [""]
    pool = client_for(staff).get("/api/call-reviewer-pools/", {"page_size": 300}).json()
    uninvited = next(row for row in pool if row["reviewer_name"] == "uninvited")
    assert uninvited["invited_by_name"] == ""


@pytest.mark.parametrize("serializer_class, page", [
    (UserSerializer, lambda: User.objects.order_by("username")[:10]),  # `token` reads no columns
    (ReviewerProfileSerializer, lambda: ReviewerProfile.objects.select_related("user")[:10]),  # nested rows
])
def test_a_page_it_cannot_read_runs_no_query_and_takes_the_instance_path(demo, rf, serializer_class, page):
    serializer = serializer_class(page(), many=True, context={"request": rf.get("/api/")})
    with CaptureQueriesContext(connection) as queries:
        assert columns.page_rows(serializer, serializer.instance) is None
    assert len(queries) == 0


def test_an_empty_page_reads_nothing_twice():
    page = AssignmentBatch.objects.none()
    serializer = AssignmentBatchListSerializer(page, many=True, context={})
    with CaptureQueriesContext(connection) as queries:
        assert columns.page_rows(serializer, page) == []
    assert len(queries) == 0


def test_a_derived_attribute_is_its_function_of_its_columns_and_cannot_be_set(db):
    user = f.user("ada", first_name="Ada", last_name="Lovelace")
    assert isinstance(User.full_name, derived) and User.full_name.columns == ("first_name", "last_name", "username")
    assert user.full_name == "Ada Lovelace" == User.full_name.function("Ada", "Lovelace", "ada")
    assert f.user("nameless", first_name="", last_name="").full_name == "nameless"
    with pytest.raises(AttributeError, match="computed from first_name, last_name, username"):
        user.full_name = "Someone else"
    batch = AssignmentBatch(expires_at=timezone.now())
    assert batch.is_expired is True
    assert AssignmentBatch(expires_at=None).is_expired is False


def test_a_kept_plan_follows_each_requests_site_and_time_zone(demo, settings, rf):
    """Plans outlive requests: a link's site and a datetime's zone are part of what they are kept by."""
    settings.ALLOWED_HOSTS = ["testserver", "review.example.org"]
    staff = users(demo)["staff"]
    for host in ("testserver", "review.example.org", "testserver"):
        rows = client_for(staff).get("/api/assignment-batches/", HTTP_HOST=host).json()
        assert rows and all(row["url"].startswith(f"http://{host}/api/assignment-batches/") for row in rows)
    page = (AssignmentBatch.objects.with_counts().order_by("created")
            .select_related("call", "reviewer_pool_entry__reviewer__user", "created_by").only(*LIST_COLUMNS))
    for zone in ("UTC", "Europe/Berlin", "UTC"):
        with timezone.override(zone):
            serializer = AssignmentBatchListSerializer(page.all(), many=True, context={"request": rf.get("/api/")})
            from_columns = columns.page_rows(serializer, serializer.instance)
            assert from_columns == serializer.data  # the instance path, in the same zone
            assert from_columns[0]["created"].endswith("Z" if zone == "UTC" else "+01:00")


class ShoutingField(serializers.CharField):
    def to_representation(self, value):  # could read self.context: a kept plan must not call it
        return str(value).upper()


class ContextFreeShoutingField(ShoutingField):
    context_free = True


class ShoutingBatchSerializer(AssignmentBatchListSerializer):
    manager_notes = ShoutingField(read_only=True)


class ContextFreeShoutingBatchSerializer(AssignmentBatchListSerializer):
    manager_notes = ContextFreeShoutingField(read_only=True)


def test_a_field_rendering_its_own_way_takes_the_instance_path_unless_it_reads_no_context(demo, rf):
    page = AssignmentBatch.objects.with_counts().order_by("created").select_related(
        "call", "reviewer_pool_entry__reviewer__user", "created_by").only(*LIST_COLUMNS)
    context = {"request": rf.get("/api/")}
    assert columns.page_rows(ShoutingBatchSerializer(page.all(), many=True, context=context), page.all()) is None
    rows = columns.page_rows(ContextFreeShoutingBatchSerializer(page.all(), many=True, context=context), page.all())
    assert "ÜNÏCODE — NOTES" in [row["manager_notes"] for row in rows]


class RemarkingBatchSerializer(AssignmentBatchListSerializer):
    def to_representation(self, batch):
        return {**super().to_representation(batch), "remark": "seen"}


class RemarkingList(serializers.ListSerializer):
    def to_representation(self, data):
        return [{**row, "remark": "seen"} for row in super().to_representation(data)]


class RemarkedListBatchSerializer(AssignmentBatchListSerializer):
    class Meta(AssignmentBatchListSerializer.Meta):
        list_serializer_class = RemarkingList


@pytest.mark.parametrize("serializer_class", [RemarkingBatchSerializer, RemarkedListBatchSerializer])
def test_a_serializer_rendering_rows_its_own_way_takes_the_instance_path_before_compiling(
        demo, rf, monkeypatch, serializer_class):
    """Every field could be read from the columns, but a plan would skip the row's or the list's
    own `to_representation` (as proposals' disclosure and profiles' figures are): refused from the
    classes alone, with no statement compiled, and the instance path renders them."""
    page = AssignmentBatch.objects.with_counts().order_by("created").select_related(
        "call", "reviewer_pool_entry__reviewer__user", "created_by").only(*LIST_COLUMNS)
    serializer = serializer_class(page.all(), many=True, context={"request": rf.get("/api/")})
    compiled, real = [], SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *args, **kwargs: compiled.append(self) or real(
        self, *args, **kwargs))
    assert columns.page_rows(serializer, serializer.instance) is None
    assert compiled == []
    rows = serializer.data
    assert rows and all(row["remark"] == "seen" for row in rows)


@pytest.mark.parametrize("url, table, unshown", [
    ("/api/conflicts-of-interest/", "conflicts_conflictofinterest", ["password", "biography", "description", "modified"]),
    ("/api/proposed-assignments/", "assignments_proposedassignment", ["password", "biography", "description"]),
    ("/api/reviewer-bids/", "reviewers_reviewerbid", ["password", "biography", "description"]),
    ("/api/events/", "core_auditevent", ["password", "last_login", "first_name"]),
])
def test_a_list_selects_only_what_its_rows_show(demo, url, table, unshown):
    """`only()` with each list's LIST_COLUMNS (a user's password and flags, a proposal's
    description, a profile's biography stay unread), and each listed row equals its detail."""
    assert_listed_rows_read_only_what_they_show(client_for(users(demo)["staff"]), url, table, unshown)
