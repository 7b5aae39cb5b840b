"""Two staff users demoting each other at once (§3.12): one succeeds, the other is refused, and
an active staff user always remains."""

import pytest

from referee.core.models import User
from tests import factories as f
from tests.helpers import ROUNDS, client_for, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("flag", ["is_staff", "is_active"])
def test_two_staff_users_demoting_each_other(flag):
    for n in range(ROUNDS):
        User.objects.filter(is_staff=True).update(is_staff=False)
        ann, bob = f.user(f"ann{n}", is_staff=True), f.user(f"bob{n}", is_staff=True)
        responses = race(
            lambda ann=ann, bob=bob: client_for(ann).patch(f"/api/users/{bob.uuid.hex}/", {flag: False}, format="json"),
            lambda ann=ann, bob=bob: client_for(bob).patch(f"/api/users/{ann.uuid.hex}/", {flag: False}, format="json"),
        )
        statuses = sorted(r.status_code for r in responses)
        # The loser is refused as the last staff user (400), or it already lost its own flag before
        # its request was authenticated: no longer staff, the other user is invisible to it (404);
        # no longer active, it is not authenticated (401).
        assert statuses[0] == 200 and statuses[1] in (400, 401, 404), [r.content for r in responses]
        assert User.objects.filter(is_staff=True, is_active=True, pk__in=[ann.pk, bob.pk]).count() == 1
