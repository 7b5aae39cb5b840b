"""referee.core.embedded_broker: processes opening a fresh broker file at the same moment (the web
workers, the worker and beat of `referee serve`) each go on with its tables and its queue,
whichever of them created them. The other process is played by a second SQLite connection acting
between this one's look and its write."""

import sqlite3

from kombu import Connection
from kombu.transport import sqlalchemy as kombu_sqlalchemy
from sqlalchemy import create_engine

TRANSPORT = "referee.core.embedded_broker:Transport"


def broker(path) -> Connection:
    return Connection(f"sqlite:///{path}", transport=TRANSPORT)


def rows(path, table: str) -> list:
    with sqlite3.connect(path) as other:
        return other.execute(f"SELECT name FROM {table}").fetchall()  # noqa: S608 - the test's own table name


def test_a_queue_another_process_created_meanwhile_is_read_back_and_used(tmp_path):
    path = tmp_path / "broker.sqlite3"
    with broker(path) as connection:
        channel = connection.default_channel
        session = channel.session
        commit = session.commit

        def commit_after_the_other_process():
            session.commit = commit
            with sqlite3.connect(path) as other:
                other.execute("INSERT INTO kombu_queue (name) VALUES ('celery')")
            commit()

        session.commit = commit_after_the_other_process  # kombu looked: no queue yet
        assert channel._get_or_create("celery").name == "celery"
        assert rows(path, "kombu_queue") == [("celery",)]
        queue = connection.SimpleQueue("celery")
        queue.put({"task": "deliver"})
        assert queue.get(timeout=5).payload == {"task": "deliver"}
        queue.close()


def test_tables_another_process_created_meanwhile_are_used(tmp_path, monkeypatch):
    path = tmp_path / "broker.sqlite3"
    metadata, create_all = kombu_sqlalchemy.metadata, kombu_sqlalchemy.metadata.create_all

    def create_after_the_other_process(engine, *args, **kwargs):
        monkeypatch.setattr(metadata, "create_all", create_all)
        create_all(create_engine(f"sqlite:///{path}"))  # the other process, first
        create_all(engine, checkfirst=False)  # this one, having looked before: "already exists"

    monkeypatch.setattr(metadata, "create_all", create_after_the_other_process)
    with broker(path) as connection:
        queue = connection.SimpleQueue("celery")
        queue.put({"task": "sweep"})
        assert queue.get(timeout=5).payload == {"task": "sweep"}
        queue.close()
    assert rows(path, "kombu_queue") == [("celery",)]
