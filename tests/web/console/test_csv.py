"""The console's CSV page (issue 13): exports that match the database, streamed; the import's
preview naming each refused line, then all or nothing; who may do what; constant query counts."""

import csv
import io
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referee.assignments.models import AffinityScore, AssignmentItem
from referee.core.enums import AuditEventType
from referee.reviewers.models import ReviewerBid
from tests import factories as f
from tests.helpers import events, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, acting

pytestmark = pytest.mark.django_db


def page_url(call, part=""):
    return f"/call/{call.uuid}/manage/csv/{part}"


def read_csv(response) -> list[dict]:
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def score(world, entry, proposal, affinity, keyword=None, text=None):
    return AffinityScore.objects.create(call=world.call, reviewer=entry.reviewer, proposal=proposal,
                                        affinity_score=affinity, keyword_score=keyword, text_score=text,
                                        method="combined", keyword_weight=0.4, text_weight=0.6)


def upload(client, call, content: str, **extra):
    return client.post(page_url(call, "import/"), {"file": SimpleUploadedFile("a.csv", content.encode()), **extra})


@role_matrix(READ)
@pytest.mark.parametrize("part", ["", "assignments.csv", "affinities.csv"])
def test_the_page_and_exports_are_for_managers_support_and_staff(client, world, role, expected, part):
    response = signed_in(client, role_user(world, role)).get(page_url(world.call, part))
    assert response.status_code == expected
    if expected == 200 and not part:
        assert ('id="import-form"' in html(response)) == (role != "support")


@role_matrix(acting(200))
def test_previewing_an_import_is_for_managers_and_staff(client, world, role, expected):
    response = upload(signed_in(client, role_user(world, role)), world.call,
                      f"proposal_uuid,reviewer_email\n{world.proposal.uuid},reviewer@example.org\n")
    assert response.status_code == expected
    if expected == 200:
        assert "1 to assign" in html(response)
    assert not AssignmentItem.objects.exists()


def test_the_assignments_export_matches_the_database(client, world):
    batch = f.batch(world.entry, status="sent")
    f.item(batch, world.proposal, status="accepted", affinity_score=0.8123456)
    score(world, world.entry, world.proposal, 0.9, keyword=0.5, text=0.75)
    ReviewerBid.objects.create(reviewer=world.profile, proposal=world.proposal, call=world.call, bid="eager")
    f.item(f.batch(f.pool_entry(world.other_call, f.profile(f.user()))), f.proposal(f.round_(world.other_call)))
    (row,) = read_csv(signed_in(client, world.manager).get(page_url(world.call, "assignments.csv")))
    assert row == {
        "proposal_uuid": str(world.proposal.uuid), "proposal": world.proposal.name,
        "reviewer_email": "reviewer@example.org", "reviewer": "Reviewer Tester", "affinity": "0.8123",
        "keyword_score": "0.5000", "text_score": "0.7500", "bid": "eager", "status": "accepted",
        "batch_uuid": str(batch.uuid), "batch_status": "sent", "deadline": batch.expires_at.isoformat(),
    }


def test_the_matrix_export_lists_the_accepted_pools_pairs_in_long_format(client, world):
    score(world, world.entry, world.proposal, 0.9, keyword=0.5, text=0.75)
    score(world, world.entry, world.proposal2, 0.1)
    declined = f.pool_entry(world.call, f.profile(f.user()), status="declined")
    score(world, declined, world.proposal, 0.5)
    rows = read_csv(signed_in(client, world.support).get(page_url(world.call, "affinities.csv")))
    assert [(r["proposal_uuid"], r["reviewer_email"], r["affinity"], r["keyword_score"], r["text_score"])
            for r in rows] == [(str(world.proposal.uuid), "reviewer@example.org", "0.9000", "0.5000", "0.7500"),
                               (str(world.proposal2.uuid), "reviewer@example.org", "0.1000", "", "")]


def test_a_name_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(client, world):
    world.proposal.name = "=HYPERLINK(\"http://evil.example\")"
    world.proposal.save()
    f.item(f.batch(world.entry), world.proposal)
    (row,) = read_csv(signed_in(client, world.manager).get(page_url(world.call, "assignments.csv")))
    assert row["proposal"] == "'=HYPERLINK(\"http://evil.example\")"


def queries_of_download(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        b"".join(client.get(url).streaming_content)
    return len(ctx)


@pytest.mark.parametrize("part", ["assignments.csv", "affinities.csv"])
def test_the_exports_cost_the_same_queries_for_more_rows(client, world, part):
    url = page_url(world.call, part)
    signed_in(client, world.manager)
    queries_of_download(client, url)
    before = queries_of_download(client, url)
    for _ in range(5):
        entry = f.pool_entry(world.call, f.profile(f.user()))
        proposal = f.proposal(world.round)
        f.item(f.batch(entry), proposal)
        score(world, entry, proposal, 0.5)
    assert queries_of_download(client, url) == before


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_file_over_the_request_limit_is_refused_in_words_on_the_page_and_nothing_is_written(client, world, htmx):
    """Over 1 MiB the body limit answers before the form reads the file: words on a page (above the
    form, for htmx), not the API's JSON."""
    big = "proposal_uuid,reviewer_email\n" + f"{world.proposal.uuid},reviewer@example.org\n" * 25_000
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = signed_in(client, world.manager).post(
        page_url(world.call, "import/"), {"file": SimpleUploadedFile("a.csv", big.encode())}, **headers)
    assert response.status_code == 400 and response["Content-Type"] == "text/html; charset=utf-8"
    assert "What you sent is larger than 1024 KiB, the most this server takes in one request" in html(response)
    assert (response.get("HX-Retarget"), response.get("HX-Reswap")) == (("#main", "afterbegin") if htmx else (None, None))
    assert ("<h1>Too large to send</h1>" in html(response)) == (not htmx)
    assert not AssignmentItem.objects.exists()


def test_the_round_trip_export_edit_import_names_the_bad_line_then_applies_when_fixed(client, world):
    f.item(f.batch(world.entry), world.proposal)
    ida = f.pool_entry(world.call, f.profile(f.user("ida")))
    signed_in(client, world.manager)
    exported = b"".join(client.get(page_url(world.call, "assignments.csv")).streaming_content).decode()
    # Two lines added to the exported file, one with an address no reviewer of the pool has.
    bad = exported + f"{world.proposal2.uuid},P2,ida@example.org\r\n{world.proposal2.uuid},P2,nobody@example.org\r\n"
    response = upload(client, world.call, bad)
    assert response.status_code == 200
    page = html(response)
    line = page.split('id="line-4"')[1].split("</tr>")[0]
    assert "Refused" in line and "No reviewer of this call&#x27;s pool has this e-mail address" in line
    assert "Unchanged" in page.split('id="line-2"')[1].split("</tr>")[0]
    assert 'id="apply-form"' not in page and AssignmentItem.objects.count() == 1
    preview = html(upload(client, world.call, bad.replace("nobody@", "reviewer@")))
    assert "2 to assign, 1 already assigned" in preview and 'id="apply-form"' in preview
    content = preview.split('name="content" value="')[1].split('"')[0]
    response = client.post(page_url(world.call, "import/"), {"content": unescape(content), "apply": "1"})
    assert response.status_code == 302
    assert set(AssignmentItem.objects.values_list("pool_entry_id", "proposal_id")) == {
        (world.entry.id, world.proposal.id), (ida.id, world.proposal2.id), (world.entry.id, world.proposal2.id)}
    (event,) = events(AuditEventType.ASSIGNMENTS_IMPORTED)
    assert event.actor == world.manager and event.context["items_created"] == 2
    assert "2 assignments created" in html(client.get(response["Location"]))


def test_a_stale_preview_is_refused_at_apply_with_the_new_outcomes(client, world):
    content = f"proposal_uuid,reviewer_email\n{world.proposal.uuid},reviewer@example.org\n"
    signed_in(client, world.manager)
    assert 'id="apply-form"' in html(upload(client, world.call, content))
    world.entry.invitation_status = "declined"  # meanwhile
    world.entry.save()
    response = client.post(page_url(world.call, "import/"), {"content": content, "apply": "1"})
    assert response.status_code == 400
    page = html(response)
    assert "1 of 1 rows are refused: nothing was assigned." in page
    assert "Reviewer not found in pool or not accepted." in page.split('id="line-2"')[1]
    assert not AssignmentItem.objects.exists()


@pytest.mark.parametrize(("content", "words"), [
    ("name,email\nx,y\n", "The first line must name the columns proposal_uuid, reviewer_email; missing: proposal_uuid, reviewer_email."),
    ("\x89PNG\x00", "The file is not a CSV text file (it holds NUL characters)."),
])
def test_a_bad_file_answers_400_with_the_words_beside_the_field(client, world, content, words):
    response = upload(signed_in(client, world.manager), world.call, content)
    assert response.status_code == 400
    assert f'id="id_file-error" role="alert">{words}' in html(response).replace("&#x27;", "'")


def test_a_non_utf8_file_and_no_file_answer_400_beside_the_field(client, world):
    signed_in(client, world.manager)
    response = client.post(page_url(world.call, "import/"),
                           {"file": SimpleUploadedFile("a.csv", "proposal_uuid,reviewer_email\nä,b".encode("latin-1"))})
    assert response.status_code == 400 and "The file is not UTF-8 text" in html(response)
    response = client.post(page_url(world.call, "import/"), {})
    assert response.status_code == 400 and "Choose a CSV file to import." in html(response)


def test_the_preview_costs_the_same_queries_for_more_rows(client, world):
    signed_in(client, world.manager)

    def preview_queries(rows):
        content = "proposal_uuid,reviewer_email\n" + "".join(f"{p.uuid},{e}\n" for p, e in rows)
        with CaptureQueriesContext(connection) as ctx:
            assert upload(client, world.call, content).status_code == 200
        return len(ctx)

    rows = [(world.proposal, "reviewer@example.org")]
    preview_queries(rows)
    before = preview_queries(rows)
    for n in range(5):
        entry = f.pool_entry(world.call, f.profile(f.user(f"many{n}")))
        f.item(f.batch(entry), world.proposal)
        rows += [(f.proposal(world.round), f"many{n}@example.org"), (world.proposal, f"many{n}@example.org")]
    assert preview_queries(rows) == before


def test_a_file_over_the_limit_is_refused_beside_the_field_and_over_the_body_limit_still_a_400(client, world):
    signed_in(client, world.manager)
    response = upload(client, world.call, "proposal_uuid,reviewer_email\n" + "x" * 930_000)
    assert response.status_code == 400 and "The file is larger than 900 KiB: split it." in html(response)
    assert upload(client, world.call, "x" * 1_100_000).status_code == 400
    assert not AssignmentItem.objects.exists()
