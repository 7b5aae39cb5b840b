"""The CSV import in Chromium against a live server: a file with a bad line is previewed (the
line is named, nothing can be applied), the corrected file is previewed and applied."""

import pytest

from referee.assignments.models import AssignmentItem
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def assert_clean(page):
    assert serious_accessibility_violations(page) == []
    assert page.outside == [] and page.errors == []


def test_an_import_with_a_bad_line_is_previewed_then_the_corrected_file_applied(live_server, page, tmp_path):
    manager = f.user("mara")
    call = f.call(managers=[manager], name="Telescope time 2026")
    rnd = f.round_(call)
    pulsars, galaxies = f.proposal(rnd, name="Pulsar timing"), f.proposal(rnd, name="Radio galaxies")
    f.pool_entry(call, f.profile(f.user("ada", first_name="Ada", last_name="Lovelace")))
    f.pool_entry(call, f.profile(f.user("grace", first_name="Grace", last_name="Hopper")))
    bad = tmp_path / "assignments.csv"
    bad.write_text(f"proposal_uuid,reviewer_email\n{pulsars.uuid},ada@example.org\n"
                   f"{galaxies.uuid},grace@example.org\n{galaxies.uuid},nobody@example.org\n")
    sign_in(page, live_server.url, manager)

    page.goto(f"{live_server.url}/call/{call.uuid}/manage/csv/")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Preview").click()
    line = page.locator("#line-4")
    line.get_by_text("No reviewer of this call's pool has this e-mail address").wait_for()
    assert page.get_by_role("button", name="Apply").count() == 0
    screenshots(page, "console-csv-preview")
    assert_clean(page)
    assert not AssignmentItem.objects.exists()

    fixed = tmp_path / "fixed.csv"
    fixed.write_text(bad.read_text().replace("nobody@", "ada@"))
    page.get_by_label("CSV file").set_input_files(str(fixed))
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Apply: create 3 assignments").click()
    page.get_by_text("3 assignments created in draft batches").wait_for()
    assert AssignmentItem.objects.count() == 3
    assert_clean(page)
