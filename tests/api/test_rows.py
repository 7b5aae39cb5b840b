"""referee.api.rows renders a model instance exactly as DRF's own `Serializer.to_representation`
does, its fast paths included (links, hex uuids, names, unchanged texts, numbers and booleans,
choices, datetimes), for complete rows and for rows whose related objects are missing, with and
without a request in the context."""

from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from referee.api.rows import renderer_of
from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.assignments.serializers import AssignmentBatchListSerializer, AssignmentItemSerializer, blocking_coi_count
from referee.reviewers.models import CallReviewerPool
from referee.reviewers.serializers_pool import CallReviewerPoolSerializer, with_pool_details
from tests import factories as f

pytestmark = pytest.mark.django_db


def contexts():
    request = APIRequestFactory().get("/api/assignment-batches/", HTTP_HOST="testserver:8443")
    return [{"request": request}, {}]


def assert_rendered_as_drf(serializer_class, rows):
    """Every row, through our compiled plan and through DRF's loop, with each context."""
    assert rows
    for context in contexts():
        ours = serializer_class(rows, many=True, context=context).data
        theirs = [serializers.Serializer.to_representation(serializer_class(context=context), row) for row in rows]
        assert [dict(row) for row in ours] == [dict(row) for row in theirs]
        assert [list(row) for row in ours] == [list(row) for row in theirs]  # keys in the same order


def test_batch_rows_with_and_without_their_related_objects(world):
    now = timezone.now()
    f.batch(world.entry)  # no creator, never sent
    f.batch(world.entry, status="responded", created_by=world.manager, manager_notes="Ünïcode — notes")
    f.batch(world.entry, status="sent", sent_at=now.replace(microsecond=0), expires_at=now + timedelta(days=3))
    world.reviewer.first_name, world.reviewer.last_name = "", ""  # the name falls back to the username
    world.reviewer.save()
    rows = list(AssignmentBatch.objects.with_counts().select_related(
        "call", "reviewer_pool_entry__reviewer__user", "created_by").order_by("created"))
    assert_rendered_as_drf(AssignmentBatchListSerializer, rows)


def test_batch_rows_read_without_select_related(world):
    f.batch(world.entry, status="sent", created_by=world.staff)
    assert_rendered_as_drf(AssignmentBatchListSerializer, list(AssignmentBatch.objects.with_counts()))


def test_item_rows_with_reviews_overrides_and_empty_links(world):
    batch = f.batch(world.entry, status="sent")
    f.item(batch, world.proposal, status="pending", affinity_score=0.123456)
    declined = f.item(batch, world.proposal2, status="declined", decline_reason="Too close to my own work")
    declined.override_reason, declined.overridden_by, declined.overridden_at = "Reason", world.manager, timezone.now()
    declined.save()
    rows = list(AssignmentItem.objects.annotate(coi_count=blocking_coi_count())
                .select_related("batch", "proposal", "review", "overridden_by").order_by("created"))
    assert_rendered_as_drf(AssignmentItemSerializer, rows)


def test_pool_rows(world):
    f.pool_entry(world.call, f.profile(f.user("invited")), status="pending")
    rows = list(with_pool_details(CallReviewerPool.objects.order_by("created")))
    assert_rendered_as_drf(CallReviewerPoolSerializer, rows)


@pytest.mark.parametrize("zone", [None, UTC, ZoneInfo("Europe/Tallinn")])
def test_datetimes_render_as_drf_in_any_zone(zone):
    """A UTC value shown in UTC skips the conversion; every other value and zone is converted."""
    field = serializers.DateTimeField(default_timezone=zone) if zone else serializers.DateTimeField()
    render = renderer_of(field)
    values = [datetime(2026, 3, 4, 5, 6, 7, 120000, tzinfo=UTC),
              datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
              datetime(2026, 3, 4, 5, 6, 7, 5, tzinfo=dt_timezone(timedelta(hours=2))),
              datetime(2026, 3, 4, 5, 6, 7, tzinfo=ZoneInfo("UTC")),
              datetime(2026, 3, 4, 5, 6, 7),  # naive
              "2026-03-04T05:06:07Z"]
    for value in values:
        assert render(value) == field.to_representation(value), (zone, value)
