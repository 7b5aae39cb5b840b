"""Building model instances from database rows without `Model.__init__`.

A page of 100 batches builds about 500 instances (the batch and its select_related call, round,
reviewer and organisation), and `Model.__init__` was the largest single cost of the API's lists:
it sends `pre_init`/`post_init`, walks every concrete field and sets each value through
`setattr`. For a row that comes from the database none of that does anything: no receiver
listens, and a field's descriptor on a fresh instance only stores the value in the instance's
`__dict__`, where a deferred field is simply absent. `Model.from_db` is Django's documented hook
for customising loading; this one writes the `__dict__` directly and keeps Django's own path
whenever that would not be the same (a signal receiver, a descriptor with its own `__set__`)."""

from django.db.models import Model, signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute

# Descriptors whose `__set__` on a fresh instance is `instance.__dict__[attname] = value`
# (DeferredAttribute has none; the foreign key's only clears a cached object, which a fresh
# instance does not have).
PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)


def _stored_plainly(model) -> bool:
    """Whether Django's `__init__` would only store the row's values (and no override adds to it)."""
    if model.__init__ is not Model.__init__:
        return False
    for field in model._meta.concrete_fields:
        descriptor = next((klass.__dict__[field.attname] for klass in model.__mro__
                           if field.attname in klass.__dict__), None)
        if type(descriptor) not in PLAIN_DESCRIPTORS:
            return False
    return True


def _receivers_seen(pre: list, post: list) -> tuple:
    """What identifies the receivers of both signals as they stand: each list's length and its
    last entry. `Signal.connect` appends a new entry and `disconnect` removes one, so any change
    since moves the last entry or the length (a length alone missed one receiver connected while
    another was disconnected)."""
    return len(pre), pre[-1] if pre else None, len(post), post[-1] if post else None


def _unchanged(seen: tuple, pre: list, post: list) -> bool:
    """`_receivers_seen` still holds: the same lengths and the very same last entries (identity:
    an equal entry connected anew is a change too)."""
    pre_length, pre_last, post_length, post_last = seen
    return (len(pre) == pre_length and len(post) == post_length
            and (pre[-1] if pre else None) is pre_last and (post[-1] if post else None) is post_last)


class DirectLoading:
    """Mixin for a model (before `models.Model` in its bases): `from_db` without `__init__`."""

    @classmethod
    def from_db(cls, db, field_names, values):
        # Decided per class, and again whenever the init receivers change (a test connects one).
        pre, post = signals.pre_init.receivers, signals.post_init.receivers
        decided = cls.__dict__.get("_direct_loading")
        if decided is None or not _unchanged(decided[0], pre, post):
            decided = cls._direct_loading = (_receivers_seen(pre, post), _stored_plainly(cls) and not (
                signals.pre_init.has_listeners(cls) or signals.post_init.has_listeners(cls)))
        if not decided[1]:
            return super().from_db(db, field_names, values)
        instance = cls.__new__(cls)
        instance.__dict__.update(zip(field_names, values, strict=True))
        state = instance._state = ModelState()
        state.adding, state.db = False, db
        return instance
