"""The broker of the embedded default: kombu's SQLAlchemy transport on a SQLite file under var/.

kombu marks a consumed message invisible and keeps its row forever (it never delivers an invisible
row again); the beat schedule alone would add thousands of rows a day. Consumed rows are deleted
as the next message is taken, so the file stays as small as the queue.

A polling transport waits `polling_interval` whenever it finds nothing it may take, also when the
worker's prefetch window is full; kombu's 1 s default held a burst of mail to a few messages a
second. A poll is one short transaction on a file of a few pages.

On a fresh var/ the web workers, the worker and beat create the broker's tables and its queue's
row at the same moment. kombu serialises that between the threads of one process only: a process
that looked before another created them failed ("table kombu_queue already exists", "UNIQUE
constraint failed: kombu_queue.name"), losing the message it was putting or the worker's start (a
CI run of the live tier waited in vain for the periodic jobs' mail). Such a process reads what the
other created instead."""

from kombu.transport import sqlalchemy
from sqlalchemy.exc import IntegrityError, OperationalError


class Channel(sqlalchemy.Channel):
    def _open(self):
        try:
            return super()._open()
        except OperationalError as error:
            if "already exists" not in str(error):
                raise
            return super()._open()  # the tables are there now: nothing left to create

    def _get_or_create(self, queue):
        try:
            return super()._get_or_create(queue)
        except IntegrityError:
            self.session.rollback()
            return self.session.query(self.queue_cls).filter(self.queue_cls.name == queue).one()

    def _get(self, queue):
        payload = super()._get(queue)  # raises Empty when there is nothing to take
        consumed = self.session.query(self.message_cls).filter(self.message_cls.visible.is_(False))
        consumed.delete(synchronize_session=False)
        self.session.commit()
        return payload


class Transport(sqlalchemy.Transport):
    Channel = Channel
    polling_interval = 0.2  # seconds
