"""Read-only model attributes computed from some of the model's own columns.

A `derived` attribute is a property (`user.full_name`) that also says which columns it reads, so
that a reader of raw rows (referee.api.columns, the API's lists) computes it from those columns
with the very same function instead of a second copy of the rule."""


class derived:  # noqa: N801 - used as a decorator, like `property`
    """`@derived("first_name", "last_name", "username")` over a function of those columns' values."""

    def __init__(self, *columns: str):
        self.columns = columns
        self.function = None

    def __call__(self, function):
        self.function = function
        self.__doc__ = function.__doc__
        return self

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return self.function(*(getattr(instance, column) for column in self.columns))

    def __set__(self, instance, value):
        raise AttributeError(f"{self.name} is computed from {', '.join(self.columns)} and cannot be set")
