"""Shared fixtures: the database guard, API clients per role and a small world to act in."""

import os
from types import SimpleNamespace

import pytest
from django.db import connection
from waldur_api_client import AuthenticatedClient

from referee.core.accounts import token_for
from tests import factories as f
from tests.helpers import NOW, client_for

pytest_plugins = ["tests.browser"]  # chromium, page: the browser of the page tests


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine}"


LIVE_TIER = "tests/live/"


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist (`make test` runs the suite on every core)
def pytest_xdist_make_scheduler(config, log):
    """tests/live/ is one unit of work: one worker runs its tests one at a time, as they would run
    alone. Their bursts and timing limits assume a server that shares the machine with one test
    process, not with another burst, and their session fixture (the embedded var/) is built once.
    Every other test is a unit of its own. xdist hands out the largest unit first, so the live
    tier starts at once and the other workers share out the rest around it. (A scheduler, not the
    `xdist_group` mark: pytest-xdist 3.8 marks a group by rewriting the test's id, which pytest 9
    no longer reads, so `--dist loadgroup` silently groups nothing.)"""
    from xdist.scheduler import LoadScopeScheduling

    class LiveTierTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return LIVE_TIER if nodeid.startswith(LIVE_TIER) else nodeid

    return LiveTierTogether(config, log)


@pytest.fixture(autouse=True, scope="session")
def _require_postgres_in_ci(django_db_setup, django_db_blocker):
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"} and connection.vendor != "postgresql":
        pytest.exit("CI=true requires PostgreSQL (set DATABASE_URL or start it on 127.0.0.1:5432)", returncode=1)


@pytest.fixture(autouse=True, scope="session")
def _verify_kept_statements():
    """Every statement run from a kept compilation is also compiled afresh and compared
    (referee.core.statements): a key that misses an input fails the test that meets it. Every
    stored rendering read is also rendered afresh and compared (referee.api.stored_rows): a write
    a trigger missed fails the test that reads it."""
    from referee.api import stored_rows
    from referee.core import statements

    statements.VERIFY = stored_rows.VERIFY = True


@pytest.fixture
def api():
    """`api(user)` → an authenticated DRF test client; `api()` → anonymous."""
    return client_for


@pytest.fixture
def waldur(live_server):
    """`waldur(user)` → the published client against a live server (§0.1: `sync()` must parse)."""
    clients = []

    def connect(user):
        clients.append(AuthenticatedClient(base_url=live_server.url, token=token_for(user)))
        return clients[-1]

    yield connect
    for client in clients:
        client.get_httpx_client().close()


@pytest.fixture
def world(db):
    """One call with a round, two proposals and every role of §1 around it.

    Roles: staff, support, manager (of `call`), other_manager (of `other_call`), reviewer
    (accepted pool entry `entry` in `call`), stranger (plain user)."""
    w = SimpleNamespace()
    w.staff = f.user("staff", is_staff=True)
    w.support = f.user("support", is_support=True)
    w.manager = f.user("manager")
    w.other_manager = f.user("othermanager")
    w.reviewer = f.user("reviewer")
    w.stranger = f.user("stranger")
    w.applicant = f.user("applicant")
    w.call = f.call(managers=[w.manager])
    w.other_call = f.call(managers=[w.other_manager])
    w.round = f.round_(w.call)
    w.proposal = f.proposal(w.round, created_by=w.applicant)
    w.proposal2 = f.proposal(w.round, created_by=w.applicant)
    w.profile = f.profile(w.reviewer)
    w.entry = f.pool_entry(w.call, w.profile)
    return w


@pytest.fixture
def clock(time_machine):
    """Time stands at helpers.NOW and never ticks on its own: `clock.move_to(moment)` and
    `clock.shift(delta)` move it, for every row, job and action the test runs."""
    time_machine.move_to(NOW, tick=False)
    return time_machine
