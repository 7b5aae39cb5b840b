"""The pool invitation page (issue 12): who may open it, accepting with declared conflicts and
declining through `reviewers.domain`, refusals beside their control in the API's words."""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.utils import timezone

from referee.conflicts.models import ConflictOfInterest
from referee.reviewers.models import CallReviewerPool
from tests import factories as f
from tests.helpers import count_queries, role_matrix, role_user

pytestmark = pytest.mark.django_db

PENDING = CallReviewerPool.Status.PENDING


@pytest.fixture
def invited(world):
    """The world's reviewer invited (pending) to the world's call."""
    entry = world.entry
    entry.invitation_status = PENDING
    entry.invitation_expires_at = timezone.now() + timedelta(days=7)
    entry.invitation_message = "We would value your view."
    entry.save()
    world.call.description = "A call about telescopes."
    world.call.save()
    return entry


def url(entry, action=""):
    return f"/reviewer-invitation/{entry.invitation_token}/{action + '/' if action else ''}"


def signed_in(client, user):
    if user is not None:
        client.force_login(user)
    return client


WHO = {"anonymous": 302, "stranger": 404, "reviewer": 200, "other_manager": 404, "manager": 404,
       "support": 404, "staff": 404}


@role_matrix(WHO)
def test_only_the_invited_reviewer_opens_the_invitation(client, world, invited, role, expected):
    response = signed_in(client, role_user(world, role)).get(url(invited))
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"] == f"/login/?next={url(invited)}"
    if expected == 200:
        html = response.content.decode()
        assert world.call.name in html and "A call about telescopes." in html and "We would value your view." in html
        assert world.proposal.name in html and world.proposal.project_summary not in html  # titles only


@role_matrix({**WHO, "reviewer": 302})
def test_only_the_invited_reviewer_answers(client, world, invited, role, expected):
    response = signed_in(client, role_user(world, role)).post(url(invited, "accept"))
    assert response.status_code == expected
    invited.refresh_from_db()
    assert invited.invitation_status == ("accepted" if role == "reviewer" else PENDING)


def test_an_unknown_token_is_not_found(client, world, invited):
    client.force_login(world.reviewer)
    assert client.get("/reviewer-invitation/nope/").status_code == 404


def test_accepting_declares_the_ticked_conflicts(client, world, invited):
    client.force_login(world.reviewer)
    key = world.proposal.uuid.hex
    response = client.post(url(invited, "accept"), {
        "conflicts": [key], f"coi_type-{key}": "INST_SAME", f"severity-{key}": "real",
        f"description-{key}": "Same department"})
    assert response.status_code == 302 and response["Location"] == url(invited)
    invited.refresh_from_db()
    assert invited.invitation_status == "accepted"
    coi = ConflictOfInterest.objects.get()
    assert (coi.proposal, coi.coi_type, coi.severity, coi.evidence_description, coi.detection_method) == (
        world.proposal, "INST_SAME", "real", "Same department", "self_disclosed")
    page = client.get(url(invited)).content.decode()
    assert "Invitation accepted successfully." in page and "This invitation has already been responded to." in page


def test_accepting_in_place_answers_the_fragment(client, world, invited):
    client.force_login(world.reviewer)
    response = client.post(url(invited, "accept"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Invitation accepted successfully." in html and "<h1>" not in html


def test_a_proposal_of_another_call_is_refused_beside_the_conflicts_in_the_domains_words(client, world, invited):
    client.force_login(world.reviewer)
    for stranger in (uuid4().hex, f.proposal(f.round_(world.other_call)).uuid.hex):
        response = client.post(url(invited, "accept"), {"conflicts": [stranger], f"coi_type-{stranger}": "INST_SAME"})
        assert response.status_code == 400
        assert 'id="conflicts-error" role="alert">Proposal not found in this call.' in response.content.decode()
    invited.refresh_from_db()
    assert invited.invitation_status == PENDING and not ConflictOfInterest.objects.exists()


def test_a_declaration_without_its_type_is_refused_beside_the_type(client, world, invited):
    client.force_login(world.reviewer)
    key = world.proposal.uuid.hex
    response = client.post(url(invited, "accept"), {"conflicts": [key]})
    assert response.status_code == 400
    assert f'id="id_coi_type-{key}-error" role="alert">&quot;&quot; is not a valid choice.' in response.content.decode()
    invited.refresh_from_db()
    assert invited.invitation_status == PENDING and not ConflictOfInterest.objects.exists()


def test_declining_takes_a_reason(client, world, invited):
    client.force_login(world.reviewer)
    response = client.post(url(invited, "decline"), {"reason": "  "})
    assert response.status_code == 400
    assert 'id="id_reason-error" role="alert">This field may not be blank.' in response.content.decode()
    invited.refresh_from_db()
    assert invited.invitation_status == PENDING
    assert client.post(url(invited, "decline"), {"reason": "On leave"}).status_code == 302
    invited.refresh_from_db()
    assert (invited.invitation_status, invited.decline_reason) == ("declined", "On leave")


@pytest.mark.parametrize(("status", "words"), [
    ("accepted", "This invitation has already been responded to."),
    ("declined", "This invitation has already been responded to."),
    ("expired", "This invitation has expired."),
])
def test_an_answered_or_expired_invitation_is_read_only(client, world, invited, status, words):
    invited.invitation_status = status
    invited.save()
    client.force_login(world.reviewer)
    html = client.get(url(invited)).content.decode()
    assert words in html and "<form method=\"post\" action=\"/reviewer-invitation/" not in html
    response = client.post(url(invited, "decline"), {"reason": "late"})
    assert response.status_code == 400 and words in response.content.decode()
    invited.refresh_from_db()
    assert invited.invitation_status == status and invited.decline_reason == ""


def test_a_pending_invitation_past_its_expiry_is_expired(client, world, invited):
    invited.invitation_expires_at = timezone.now() - timedelta(minutes=1)
    invited.save()
    client.force_login(world.reviewer)
    assert "This invitation has expired." in client.get(url(invited)).content.decode()


def test_the_page_reads_a_constant_number_of_queries(client, world, invited):
    client.force_login(world.reviewer)
    client.get(url(invited))  # warm per-process caches
    before = count_queries(client, url(invited))
    for _ in range(25):
        f.proposal(world.round)
    assert count_queries(client, url(invited)) == before
