"""The Celery app, loaded with the `referee` package in every process (referee/__init__.py).

Tasks go through a broker everywhere but in the test suite's own process: Redis in production,
the embedded SQLite broker without CELERY_BROKER_URL (settings, docs/deploy.md)."""

import os

from celery import Celery

from referee.core.workers import Heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")

app = Celery("referee")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker says it is alive, so that a request never queues work no worker will run.
app.steps["worker"].add(Heartbeat)


def load_tasks_and_sending() -> None:
    """Import every task module and what sending a task needs, now, in the calling thread.

    A web worker calls this before it starts its request threads: a module imported for the first
    time by several threads at once can be seen half-initialised by one of them (ImportError,
    NotRegistered), and nothing else may be imported lazily on the way to the broker."""
    app.loader.import_default_modules()
    app.finalize(auto=True)
    app.amqp  # noqa: B018 - builds the message machinery (celery.canvas and the protocol modules)
    app.connection_for_write().get_transport_cls()  # imports the broker's transport, connects nothing
