"""`referee load_demo`: idempotent, every batch status present and coherent, tokens written."""

import json
import re

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.calls.models import Call, Proposal, Round
from referee.core.models import Customer, User
from referee.demo import CALL_SLUG
from referee.reviewers.models import (
    CallReviewerPool,
    ReviewerAffiliation,
    ReviewerExpertise,
    ReviewerProfile,
    ReviewerPublication,
)
from referee.reviews.models import Review

MODELS = (Customer, User, Token, Call, Round, Proposal, ReviewerProfile, ReviewerAffiliation, ReviewerExpertise,
          ReviewerPublication, CallReviewerPool, AssignmentBatch, AssignmentItem, Review)

pytestmark = pytest.mark.django_db


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"  # not created: load_demo must create it
    return settings.VAR_DIR


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_load_demo_twice_gives_the_same_rows(var_dir, capsys):
    call_command("load_demo")
    first = counts()
    tokens = json.loads((var_dir / "demo-tokens.json").read_text())
    call_command("load_demo")
    assert counts() == first
    assert json.loads((var_dir / "demo-tokens.json").read_text()) == tokens
    assert "already present" in capsys.readouterr().out
    assert first["Proposal"] == 20 and first["ReviewerProfile"] == 8 and first["AssignmentBatch"] >= 5


def test_demo_call_is_active_with_an_open_round_and_accepted_pool(var_dir):
    call_command("load_demo")
    call = Call.objects.get(slug=CALL_SLUG)
    assert call.state == "active" and call.managers.get().username == "manager"
    assert [r.status for r in call.rounds.all()] == ["open"]
    assert User.objects.get(username="staff").is_staff
    entries = CallReviewerPool.objects.filter(call=call)
    assert entries.count() == 8 and {e.invitation_status for e in entries} == {"accepted"}
    for profile in ReviewerProfile.objects.all():
        assert profile.biography and profile.orcid_id
        assert profile.affiliations.count() == 3
        assert 4 <= profile.expertise_set.count() <= 6
        assert 3 <= profile.publications.count() <= 5
        assert all(p.coauthors for p in profile.publications.all())


def test_batches_cover_every_status_in_coherent_states(var_dir):
    call_command("load_demo")
    batches = AssignmentBatch.objects.prefetch_related("items")
    assert {b.status for b in batches} == {"draft", "sent", "responded", "expired", "cancelled"}
    for batch in batches:
        statuses = {i.status for i in batch.items.all()}
        assert statuses, batch
        if batch.status == "draft":
            assert statuses == {"pending"} and batch.sent_at is None
        elif batch.status == "sent":
            assert "pending" in statuses and batch.sent_at and batch.expires_at > batch.sent_at
        elif batch.status == "responded":
            assert statuses <= {"accepted", "declined"} and batch.responded_at
        else:  # expired, cancelled
            assert statuses == {"expired"}
    for item in AssignmentItem.objects.select_related("review", "batch__reviewer_pool_entry__reviewer"):
        assert item.has_coi is (item.status == "coi_blocked")
        assert item.pool_entry_id == item.batch.reviewer_pool_entry_id
        if item.status == "accepted":
            assert item.review.state == "in_review" and item.review.proposal_id == item.proposal_id
            assert item.review.reviewer == item.batch.reviewer_pool_entry.reviewer.user
            assert item.proposal.is_open_for_review
        else:
            assert item.review is None
        if item.status in ("pending", "accepted"):
            assert item.proposal.is_open_for_review
            assert not item.proposal.team.filter(pk=item.batch.reviewer_pool_entry.reviewer.user_id).exists()
    assert Review.objects.count() == AssignmentItem.objects.filter(status="accepted").count()


def test_open_assignments_stay_within_workload_limits(var_dir):
    call_command("load_demo")
    for entry in CallReviewerPool.objects.select_related("reviewer"):
        pending = AssignmentItem.objects.filter(
            pool_entry=entry, status="pending", batch__status__in=["draft", "sent"]).count()
        reviews = Review.objects.filter(reviewer=entry.reviewer.user_id, state="in_review").count()
        assert pending + reviews <= entry.max_assignments


def test_tokens_are_printed_and_written(var_dir, capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    tokens = json.loads((var_dir / "demo-tokens.json").read_text())
    assert tokens["manager"]["role"] == "call manager" and tokens["staff"]["role"] == "staff"
    assert {f"reviewer{i}" for i in range(1, 9)} <= {u for u, t in tokens.items() if t["role"] == "reviewer"}
    for username, entry in tokens.items():
        assert Token.objects.get(user__username=username).key == entry["token"]
        assert re.search(rf"^{username} +{entry['role']} +{re.escape(entry['password'])} +{entry['token']}$", out,
                         re.MULTILINE)


def test_every_demo_user_signs_in_with_the_password_printed_and_keeps_it(var_dir, client):
    call_command("load_demo")
    accounts = json.loads((var_dir / "demo-tokens.json").read_text())
    assert len({entry["password"] for entry in accounts.values()}) == len(accounts) == 20
    for username, entry in accounts.items():
        assert len(entry["password"]) >= 12
        assert User.objects.get(username=username).check_password(entry["password"])
    assert client.login(username="staff", password=accounts["staff"]["password"])
    assert client.get("/admin/").status_code == 200

    call_command("load_demo")  # run again: the same passwords, still valid
    assert json.loads((var_dir / "demo-tokens.json").read_text()) == accounts
    User.objects.filter(username="manager").update(password="!")  # made unusable by hand: a new one
    call_command("load_demo")
    again = json.loads((var_dir / "demo-tokens.json").read_text())
    assert again["manager"]["password"] != accounts["manager"]["password"]
    assert User.objects.get(username="manager").check_password(again["manager"]["password"])
    assert {k: v for k, v in again.items() if k != "manager"} == {k: v for k, v in accounts.items() if k != "manager"}


def test_the_printed_sign_in_link_signs_a_reviewer_in_on_my_assignments_once(var_dir, capsys, client):
    call_command("load_demo")
    out = capsys.readouterr().out
    match = re.search(r"^Sign in as (reviewer\d), .*\n  http://127\.0\.0\.1:\d+(/signin/\S+/) \(one use, until ([^)]+)\)$",
                      out, re.MULTILINE)
    assert match, out
    username, path, until = match.groups()
    batch = AssignmentBatch.objects.get(reviewer_pool_entry__reviewer__user__username=username, status="sent")
    assert until == batch.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    assert client.get(path).status_code == 200  # the link's page; its form uses the link
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/reviews/assignments/"
    assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)
    client.logout()
    assert client.get(path).status_code == 410
