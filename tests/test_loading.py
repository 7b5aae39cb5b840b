"""referee.core.loading: instances built from rows without `Model.__init__` are the instances
Django would build (values, deferred fields, state), and Django's own path is kept when a
`pre_init`/`post_init` receiver listens."""

from contextlib import contextmanager

import pytest
from django.db.models import Model, signals
from django.test.utils import isolate_apps

from referee.assignments.models import AssignmentBatch
from referee.core.models import User
from tests import factories as f

pytestmark = pytest.mark.django_db


def djangos_own(model, row: Model, fields=None):
    """The instance Django's `Model.from_db` builds from the same row."""
    names = fields or [field.attname for field in model._meta.concrete_fields]
    values = [getattr(row, name) for name in names]
    return Model.from_db.__func__(model, "default", names, values)


@contextmanager
def listening(receiver, sender):
    """`receiver` connected to post_init for `sender` while the block runs."""
    signals.post_init.connect(receiver, sender=sender)
    try:
        yield
    finally:
        signals.post_init.disconnect(receiver, sender=sender)


def test_a_loaded_row_is_the_instance_django_builds(world):
    batch = f.batch(world.entry, status="sent", created_by=world.manager)
    loaded = AssignmentBatch.objects.get(pk=batch.pk)
    expected = djangos_own(AssignmentBatch, loaded)
    assert {k: v for k, v in vars(loaded).items() if k != "_state"} == \
        {k: v for k, v in vars(expected).items() if k != "_state"}
    assert (loaded._state.adding, loaded._state.db) == (False, "default")
    assert loaded.call == world.call and loaded.created_by == world.manager  # relations load lazily as before
    loaded.manager_notes = "saved"
    loaded.save(update_fields=["manager_notes"])  # an UPDATE, not an INSERT
    assert AssignmentBatch.objects.get(pk=batch.pk).manager_notes == "saved"


def test_deferred_fields_stay_deferred(world):
    loaded = User.objects.only("username").get(pk=world.reviewer.pk)
    expected = djangos_own(User, loaded, ["id", "username"])
    assert loaded.get_deferred_fields() == expected.get_deferred_fields() != set()
    assert loaded.email == world.reviewer.email  # read on access, as Django does


def test_select_related_rows_are_built_alike(world):
    f.batch(world.entry, created_by=world.manager)
    batch = AssignmentBatch.objects.select_related("call", "created_by").get()
    assert batch.call.uuid == world.call.uuid and batch.created_by.username == world.manager.username
    assert not batch.created_by._state.adding


def test_a_receiver_of_post_init_sees_every_loaded_instance(world):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    with listening(receiver, User):
        loaded = User.objects.get(pk=world.reviewer.pk)
    assert seen == [loaded.pk]
    User.objects.get(pk=world.reviewer.pk)
    assert seen == [loaded.pk]  # disconnected: the direct path again


def test_a_receiver_connected_while_another_goes_is_seen(world):
    """The number of receivers stays the same (one for Call connected first, it goes when one for
    User comes): the decision is made again all the same."""
    seen = []

    def for_calls(sender, instance, **kwargs):
        pass

    def for_users(sender, instance, **kwargs):
        seen.append(instance.pk)

    with listening(for_calls, type(world.call)):
        User.objects.get(pk=world.reviewer.pk)  # decided: nothing listens for User
    with listening(for_users, User):
        loaded = User.objects.get(pk=world.reviewer.pk)
    assert seen == [loaded.pk]


def test_a_model_with_its_own_init_is_built_by_it(world):
    with isolate_apps("referee.core"):  # the proxy stays out of the project's app registry
        class Noted(User):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.noted = True

            class Meta:
                proxy = True
                app_label = "core"

    assert Noted.objects.get(pk=world.reviewer.pk).noted
