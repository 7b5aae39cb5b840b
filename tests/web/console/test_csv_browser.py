"""The CSV round trip in Chromium against a live server: the assignments export is downloaded,
edited (two lines added, one naming an address no reviewer of the pool has) and imported; the
preview names the bad line and nothing can be applied; the corrected file is previewed and applied."""

import pytest

from referee.assignments.models import AssignmentItem
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def assert_clean(page):
    assert serious_accessibility_violations(page) == []
    assert page.outside == [] and page.errors == []


def test_export_edit_import_with_a_bad_line_then_the_corrected_file(live_server, page, tmp_path):
    manager = f.user("mara")
    call = f.call(managers=[manager], name="Telescope time 2026")
    rnd = f.round_(call)
    pulsars, galaxies = f.proposal(rnd, name="Pulsar timing"), f.proposal(rnd, name="Radio galaxies")
    ada = f.pool_entry(call, f.profile(f.user("ada", first_name="Ada", last_name="Lovelace")))
    f.pool_entry(call, f.profile(f.user("grace", first_name="Grace", last_name="Hopper")))
    f.item(f.batch(ada, status="sent"), pulsars, affinity_score=0.7)
    sign_in(page, live_server.url, manager)

    page.goto(f"{live_server.url}/call/{call.uuid}/manage/csv/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Assignments (CSV)").click()
    exported = download.value.path().read_text()
    assert exported.splitlines()[1].startswith(f"{pulsars.uuid},Pulsar timing,ada@example.org,Ada Lovelace,0.7000")
    edited = tmp_path / "assignments.csv"
    edited.write_text(exported + f"{galaxies.uuid},,grace@example.org\r\n{galaxies.uuid},,nobody@example.org\r\n")

    page.get_by_label("CSV file").set_input_files(str(edited))
    page.get_by_role("button", name="Preview").click()
    page.locator("#line-4").get_by_text("No reviewer of this call's pool has this e-mail address").wait_for()
    assert page.locator("#line-2").get_by_text("Unchanged").is_visible()
    assert page.get_by_role("button", name="Apply").count() == 0
    screenshots(page, "console-csv-preview")
    assert_clean(page)
    assert AssignmentItem.objects.count() == 1

    edited.write_text(edited.read_text().replace("nobody@", "ada@"))
    page.get_by_label("CSV file").set_input_files(str(edited))
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Apply: create 2 assignments").click()
    page.get_by_text("2 assignments created in draft batches; 1 line already assigned, unchanged.").wait_for()
    assert set(AssignmentItem.objects.values_list("proposal__name", "pool_entry__reviewer__user__username")) == {
        ("Pulsar timing", "ada"), ("Radio galaxies", "grace"), ("Radio galaxies", "ada")}
    assert_clean(page)
