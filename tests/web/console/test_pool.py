"""The console's Pool tab (issue 13): who may read and act, invitations by search and by e-mail
through `reviewers.domain`, resend and force-accept (a reason required), each reviewer's open load
from the workload rule, the status filter and pages of a large pool at a constant query count."""

import pytest

from referee.core.enums import AuditEventType
from referee.reviewers.models import CallReviewerPool, ReviewerAffiliation, ReviewerExpertise
from tests import factories as f
from tests.helpers import count_queries, events, html, outbox, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, acting, tab_url

pytestmark = pytest.mark.django_db
MANAGING = ("manager", "staff")


def action_url(call, action, entry=None):
    middle = f"{entry.uuid}/" if entry is not None else ""
    return f"/call/{call.uuid}/manage/pool/{middle}{action}/?tab=pool"


@pytest.fixture
def candidate(world):
    """A published profile outside the pool, found by name, keyword and affiliation."""
    profile = f.profile(f.user("grace", first_name="Grace", last_name="Hopper"), is_published=True)
    ReviewerExpertise.objects.create(profile=profile, expertise_keyword="Compilers")
    ReviewerAffiliation.objects.create(profile=profile, organization_name="Navy Research Lab", department="Computing")
    return profile


@role_matrix(READ)
def test_the_pool_tab_is_for_managers_support_and_staff(client, world, role, expected):
    f.pool_entry(world.call, f.profile(f.user("penny")), status="pending")
    response = signed_in(client, role_user(world, role)).get(tab_url(world.call, "pool"))
    assert response.status_code == expected
    if expected == 200:
        page = html(response)
        assert world.reviewer.full_name in page and "Penny Tester" in page
        # Support reads: no invitation forms, no action buttons.
        for action in ("Invite by e-mail", "Resend", "Force-accept", "/manage/pool/"):
            assert (action in page) == (role != "support"), action
    else:
        assert "Penny Tester" not in html(response)


@role_matrix(acting(302))
def test_inviting_by_search_is_for_managers_and_staff(client, world, candidate, role, expected):
    response = signed_in(client, role_user(world, role)).post(
        action_url(world.call, "invite"), {"reviewer_uuid": candidate.uuid, "max_assignments": 4})
    assert response.status_code == expected
    invited = CallReviewerPool.objects.filter(call=world.call, reviewer=candidate).first()
    assert (invited is not None) == (role in MANAGING)
    if invited:
        assert invited.invitation_status == "pending" and invited.max_assignments == 4
        assert len(events(AuditEventType.POOL_INVITATION_SENT)) == 1
        assert [m.to for m in outbox("reviewer_invitation")] == [["grace@example.org"]]


@pytest.mark.parametrize("search", [{"user_name": "hopp"}, {"expertise_keyword": "compil"},
                                    {"affiliation": "navy"}, {"affiliation": "computing"}])
def test_the_search_finds_profiles_by_name_keyword_or_affiliation(client, world, candidate, search):
    other = f.profile(f.user("alan", first_name="Alan", last_name="Turing"), is_published=True)
    page = html(signed_in(client, world.manager).get(tab_url(world.call), {"tab": "pool", **search}))
    results = page[page.index('id="search-results"'):]
    assert "Grace Hopper" in results and f'value="{candidate.uuid}"' in results
    assert other.user.full_name not in results


def test_the_search_shows_members_with_their_status_instead_of_an_invite_button(client, world, candidate):
    f.pool_entry(world.call, candidate, status="declined")
    page = html(signed_in(client, world.manager).get(tab_url(world.call), {"tab": "pool", "user_name": "Grace"}))
    results = page[page.index('id="search-results"'):]
    assert "Declined" in results and f'value="{candidate.uuid}"' not in results


def test_an_unpublished_profile_is_not_found(client, world, candidate):
    candidate.is_published = False
    candidate.save()
    page = html(signed_in(client, world.manager).get(tab_url(world.call), {"tab": "pool", "user_name": "Grace"}))
    assert "No profile matches" in page


def test_inviting_by_email_invites_the_profile_of_that_address(client, world, candidate):
    response = signed_in(client, world.manager).post(
        action_url(world.call, "invite-by-email"), {"email": "GRACE@example.org", "max_assignments": 5})
    assert response.status_code == 302
    entry = CallReviewerPool.objects.get(call=world.call, reviewer=candidate)
    assert entry.invitation_status == "pending" and entry.invited_by == world.manager


@pytest.mark.parametrize(("email", "words"), [
    ("nobody@example.org", "No reviewer profile belongs to this e-mail address"),
    ("reviewer@example.org", "This reviewer is already in the call&#x27;s pool."),
    ("not an address", "Enter a valid email address."),
])
def test_inviting_by_email_refuses_in_words_beside_the_field(client, world, email, words):
    response = signed_in(client, world.manager).post(
        action_url(world.call, "invite-by-email"), {"email": email, "max_assignments": 5})
    assert response.status_code == 400
    page = html(response)
    assert 'id="id_email-error"' in page and words in page
    assert CallReviewerPool.objects.filter(call=world.call).count() == 1


def test_a_maximum_load_out_of_bounds_is_refused_beside_the_field(client, world, candidate):
    response = signed_in(client, world.manager).post(
        action_url(world.call, "invite") + "&user_name=Grace", {"reviewer_uuid": candidate.uuid, "max_assignments": 51})
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 50." in html(response)
    assert not CallReviewerPool.objects.filter(reviewer=candidate).exists()


@role_matrix(acting(302))
def test_resending_is_for_managers_and_staff(client, world, role, expected):
    entry = f.pool_entry(world.call, f.profile(f.user()), status="expired")
    token = entry.invitation_token
    response = signed_in(client, role_user(world, role)).post(action_url(world.call, "resend", entry))
    assert response.status_code == expected
    entry.refresh_from_db()
    assert (entry.invitation_status == "pending") == (role in MANAGING)
    assert (entry.invitation_token != token) == (role in MANAGING)


def test_resending_an_accepted_invitation_is_refused_in_its_row(client, world):
    response = signed_in(client, world.manager).post(action_url(world.call, "resend", world.entry))
    assert response.status_code == 400
    row = html(response).split(f'id="entry-{world.entry.uuid}"')[1].split("</tr>")[0]
    assert "Only pending or expired invitations can be resent." in row


@role_matrix(acting(302))
def test_force_accepting_is_for_managers_and_staff(client, world, role, expected):
    entry = f.pool_entry(world.call, f.profile(f.user()), status="declined")
    response = signed_in(client, role_user(world, role)).post(
        action_url(world.call, "force-accept", entry), {"override_reason": "Agreed by phone"})
    assert response.status_code == expected
    entry.refresh_from_db()
    assert (entry.invitation_status == "accepted") == (role in MANAGING)
    if role in MANAGING:
        assert entry.override_reason == "Agreed by phone" and entry.overridden_by == role_user(world, role)
        assert events(AuditEventType.POOL_INVITATION_FORCE_ACCEPTED)[0].message == "Agreed by phone"


def test_force_accepting_without_a_reason_is_refused_beside_the_field(client, world):
    entry = f.pool_entry(world.call, f.profile(f.user()), status="pending")
    response = signed_in(client, world.manager).post(action_url(world.call, "force-accept", entry),
                                                     {"override_reason": "  "})
    assert response.status_code == 400
    row = html(response).split(f'id="entry-{entry.uuid}"')[1].split("</tr>")[0]
    assert "A reason is required to accept on the reviewer&#x27;s behalf." in row
    entry.refresh_from_db()
    assert entry.invitation_status == "pending"


def test_an_entry_of_another_call_is_not_found(client, world):
    foreign = f.pool_entry(world.other_call, f.profile(f.user()), status="pending")
    response = signed_in(client, world.staff).post(action_url(world.call, "force-accept", foreign),
                                                   {"override_reason": "x"})
    assert response.status_code == 404


def test_each_reviewer_shows_the_open_load_the_workload_rule_counts(client, world):
    world.entry.max_assignments = 3
    world.entry.save()
    draft = f.batch(world.entry)
    f.item(draft, world.proposal)
    f.item(draft, world.proposal2, status="declined")  # not open
    row = html(signed_in(client, world.manager).get(tab_url(world.call, "pool"))).split(
        f'id="entry-{world.entry.uuid}"')[1].split("</tr>")[0]
    assert 'max="3" value="1"' in row and "1 / 3" in row


def test_the_pool_filters_by_status(client, world):
    pending = f.pool_entry(world.call, f.profile(f.user("penny")), status="pending")
    page = html(signed_in(client, world.manager).get(tab_url(world.call), {"tab": "pool", "invitation_status": "pending"}))
    listed = page[page.index('id="pool-list"'):]
    assert f"entry-{pending.uuid}" in listed and f"entry-{world.entry.uuid}" not in listed


def test_the_pool_is_paged_at_a_constant_query_count(client, world):
    url = tab_url(world.call, "pool")
    signed_in(client, world.manager).get(url)
    before = count_queries(client, url)
    for _ in range(60):  # more than a page
        entry = f.pool_entry(world.call, f.profile(f.user()))
        f.item(f.batch(entry), world.proposal)
    assert count_queries(client, url) == before
    page = html(client.get(url, {"tab": "pool", "page": 2}))
    assert "page 2 of 2" in page


def test_the_search_costs_the_same_queries_for_many_hits(client, world, candidate):
    url, search = tab_url(world.call), {"tab": "pool", "user_name": "Tester"}
    signed_in(client, world.manager).get(url, search)
    before = count_queries(client, url, search)
    for _ in range(5):
        profile = f.profile(f.user(), is_published=True)
        ReviewerExpertise.objects.create(profile=profile, expertise_keyword="Sorting")
    assert count_queries(client, url, search) == before


def test_an_action_returns_to_the_tab_as_it_was(client, world):
    entry = f.pool_entry(world.call, f.profile(f.user()), status="expired")
    query = "tab=pool&invitation_status=expired&page=1"
    response = signed_in(client, world.manager).post(f"/call/{world.call.uuid}/manage/pool/{entry.uuid}/resend/?{query}")
    assert response.status_code == 302 and response["Location"] == f"/call/{world.call.uuid}/manage/?{query}"
