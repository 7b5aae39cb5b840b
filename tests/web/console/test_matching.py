"""The Matching tab (issue 13), in process: who may read it and act in it, the matching and COI
configuration forms (saved through the API's serializers and the domain, refused in the API's
words beside the field with nothing saved), and support's read-only view."""

import json
import re

import pytest

from referee.calls.models import CallCOIConfiguration, MatchingConfiguration
from referee.core.enums import AuditEventType
from tests.helpers import as_role, events, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, acting, tab_url

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def action(call, name: str) -> str:
    return f"/call/{call.uuid}/manage/matching/{name}/?tab=matching"


def form_data(config, **changes) -> dict:
    """What the page's form posts for `config` as it stands, with `changes`: every field, unchecked
    boxes absent, the COI rules as repeated checkbox values."""
    data = {}
    for field in config._meta.concrete_fields:
        if field.name in ("id", "uuid", "call", "created", "modified"):
            continue
        value = changes.get(field.name, getattr(config, field.name))
        if value is True:
            data[field.name] = "on"
        elif value is None or isinstance(value, dict):  # an empty box; the JSON the page shows
            data[field.name] = "" if value is None else json.dumps(value)
        elif value is not False:
            data[field.name] = value if isinstance(value, list) else str(value)
    return data


def error_of(page: str, field: str) -> str:
    """The error shown beside a field (`web/field.html`)."""
    marker = f'id="id_{field}-error" role="alert">'
    assert marker in page, f"no error beside {field}"
    return page.split(marker, 1)[1].split("</p>", 1)[0]


@role_matrix(READ)
def test_the_matching_tab_is_for_the_calls_managers_support_and_staff(client, world, role, expected):
    response = signed_in(client, role_user(world, role)).get(tab_url(world.call, "matching"))
    assert response.status_code == expected
    if expected == 200:
        page = html(response)
        assert 'aria-current="page">Matching</a>' in page
        assert "Matching configuration" in page and "Conflict detection" in page


@role_matrix(acting(302))
def test_saving_the_matching_configuration_is_for_managers_and_staff(client, world, role, expected):
    config = world.call.matching_config
    response = signed_in(client, role_user(world, role)).post(
        action(world.call, "configuration"), form_data(config, max_reviewers_per_proposal=7))
    assert response.status_code == expected
    config.refresh_from_db()
    done = role in ("manager", "staff")
    assert (config.max_reviewers_per_proposal == 7) == done
    if done:
        assert response["Location"] == f"{tab_url(world.call, 'matching')}#configuration"
        assert len(events(AuditEventType.MATCHING_CONFIGURATION_UPDATED)) == 1


@role_matrix(acting(302))
def test_saving_the_coi_rules_is_for_managers_and_staff(client, world, role, expected):
    config = world.call.coi_config
    response = signed_in(client, role_user(world, role)).post(
        action(world.call, "coi-configuration"), form_data(config, recusal_required_types=["INST_SAME"]))
    assert response.status_code == expected
    config.refresh_from_db()
    assert (config.recusal_required_types == ["INST_SAME"]) == (role in ("manager", "staff"))


def test_a_saved_configuration_is_what_the_api_then_reads(client, world):
    signed_in(client, world.manager)
    changes = dict(affinity_method="keyword", keyword_weight=0.7, text_weight=0.3, algorithm="fairflow",
                   use_reviewer_bids=False, min_affinity_threshold=0.25)
    response = client.post(action(world.call, "configuration"), form_data(world.call.matching_config, **changes),
                           **HTMX)
    assert response.status_code == 200
    assert "Matching configuration saved." in html(response)
    api = as_role(world, "manager").get(
        f"/api/proposal-protected-calls/{world.call.uuid.hex}/matching-configuration/").json()
    assert {key: api[key] for key in changes} == changes

    coi = form_data(world.call.coi_config, include_same_department=False, management_allowed_types=["INST_DEPT"],
                    disclosure_only_types=["COAUTH_OLD", "COMPET"], invitation_proposal_disclosure="titles_and_summaries")
    assert client.post(action(world.call, "coi-configuration"), coi).status_code == 302
    api = as_role(world, "manager").get(f"/api/proposal-protected-calls/{world.call.uuid.hex}/coi-configuration/").json()
    assert (api["include_same_department"], api["management_allowed_types"], api["disclosure_only_types"],
            api["invitation_proposal_disclosure"]) == (False, ["INST_DEPT"], ["COAUTH_OLD", "COMPET"],
                                                       "titles_and_summaries")


# What the API answers to each bad input, and where the page shows it: (field or None for the form).
BAD_MATCHING = [
    ({"keyword_weight": "1.5"}, "keyword_weight"),
    ({"max_reviewers_per_proposal": "0"}, "max_reviewers_per_proposal"),
    ({"min_proposals_per_reviewer": "many"}, "min_proposals_per_reviewer"),
    ({"algorithm": "greedy"}, "algorithm"),
    ({"min_reviewers_per_proposal": "6", "max_reviewers_per_proposal": "4"}, None),
    ({"keyword_weight": "0.5", "text_weight": "0.6"}, None),
]


@pytest.mark.parametrize(("bad", "where"), BAD_MATCHING, ids=[next(iter(b)) + ("" if w else "-rule") for b, w in BAD_MATCHING])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_bad_matching_configuration_is_refused_beside_its_field_in_the_apis_words(client, world, bad, where, htmx):
    before = MatchingConfiguration.objects.values().get(pk=world.call.matching_config.pk)
    data = {**form_data(world.call.matching_config), **bad}
    response = signed_in(client, world.manager).post(action(world.call, "configuration"), data, **(HTMX if htmx else {}))
    assert response.status_code == 400
    page = html(response)
    api = as_role(world, "manager").patch(
        f"/api/proposal-protected-calls/{world.call.uuid.hex}/matching-configuration/", bad, format="json")
    assert api.status_code == 400
    if where is None:
        words = api.json()["non_field_errors"][0]
        assert f'<p class="error" role="alert">{words}</p>' in page
    else:
        assert error_of(page, where) == api.json()[where][0].replace("'", "&#x27;").replace('"', "&quot;")
        if where != "algorithm":  # a select cannot show an option it does not have
            assert f'value="{bad[where]}"' in page  # what was typed stays, to be corrected
    assert MatchingConfiguration.objects.values().get(pk=world.call.matching_config.pk) == before
    assert events(AuditEventType.MATCHING_CONFIGURATION_UPDATED) == []
    assert ("<h1>" in page) == (not htmx)  # plain: the whole tab; htmx: the section


def test_a_conflict_type_under_two_rules_or_unknown_is_refused_and_nothing_is_saved(client, world):
    signed_in(client, world.manager)
    before = CallCOIConfiguration.objects.values().get(pk=world.call.coi_config.pk)
    twice = form_data(world.call.coi_config, recusal_required_types=["INST_SAME"], disclosure_only_types=["INST_SAME"])
    page = html(response := client.post(action(world.call, "coi-configuration"), twice))
    assert response.status_code == 400
    assert ("Each conflict type may only be assigned to one rule. Remove it from all but one of these: INST_SAME "
            "(recusal_required_types, disclosure_only_types).") in page
    unknown = form_data(world.call.coi_config, management_allowed_types=["NOPE"], coauthorship_threshold_papers="0")
    page = html(response := client.post(action(world.call, "coi-configuration"), unknown))
    assert response.status_code == 400
    assert "Management allowed types: &quot;NOPE&quot; is not a valid conflict of interest type." in page
    assert error_of(page, "coauthorship_threshold_papers") == "Ensure this value is greater than or equal to 1."
    assert CallCOIConfiguration.objects.values().get(pk=world.call.coi_config.pk) == before
    assert events(AuditEventType.COI_CONFIGURATION_UPDATED) == []


@pytest.mark.parametrize("role", ["support", "manager"])
def test_support_reads_the_configurations_without_a_control_to_change_them(client, world, role):
    page = html(signed_in(client, role_user(world, role)).get(tab_url(world.call, "matching")))
    buttons = ("Save the matching configuration", "Save the conflict of interest rules", "Compute affinities",
               "Detect conflicts")
    assert all((button in page) == (role == "manager") for button in buttons)
    assert ('name="keyword_weight" value="0.4"' in page)  # the values are shown either way
    control = re.search(r'<input [^>]*id="id_keyword_weight"[^>]*>', page).group(0)
    assert (" disabled" in control) == (role == "support")
