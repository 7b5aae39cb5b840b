"""The Matching tab's configuration form with issue 14's fields: the cap of randomized assignment
(and the other fields that may be empty) saved, emptied back to null and refused beside the field
in the API's words; the career-stage minimums as JSON."""

import pytest

from tests.helpers import html, signed_in
from tests.web.console.test_matching import HTMX, action, error_of, form_data

pytestmark = pytest.mark.django_db


def test_the_cap_is_saved_emptied_and_refused_beside_its_field(client, world):
    config = world.call.matching_config
    signed_in(client, world.manager)
    saved = client.post(action(world.call, "configuration"),
                        form_data(config, max_assignment_probability=0.5, max_reviewers_per_country=2,
                                  min_reviewers_per_career_stage={"senior": 1}), **HTMX)
    assert saved.status_code == 200 and "Matching configuration saved." in html(saved)
    config.refresh_from_db()
    assert (config.max_assignment_probability, config.max_reviewers_per_country,
            config.min_reviewers_per_career_stage) == (0.5, 2, {"senior": 1})
    assert '&quot;senior&quot;: 1' in html(client.get(f"/call/{world.call.uuid}/manage/", {"tab": "matching"}))
    emptied = client.post(action(world.call, "configuration"), form_data(config, max_assignment_probability=None))
    assert emptied.status_code == 302
    config.refresh_from_db()
    assert config.max_assignment_probability is None and config.max_reviewers_per_country == 2
    refused = client.post(action(world.call, "configuration"), form_data(config, max_assignment_probability=0))
    assert refused.status_code == 400
    assert error_of(html(refused), "max_assignment_probability") == "Ensure this value is greater than or equal to 0.01."
    config.refresh_from_db()
    assert config.max_assignment_probability is None
