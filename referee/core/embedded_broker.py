"""The broker of the embedded default: kombu's SQLAlchemy transport on a SQLite file under var/.

kombu marks a consumed message invisible and keeps its row forever (it never delivers an invisible
row again); the beat schedule alone would add thousands of rows a day. Consumed rows are deleted
as the next message is taken, so the file stays as small as the queue.

A polling transport waits `polling_interval` whenever it finds nothing it may take, also when the
worker's prefetch window is full; kombu's 1 s default held a burst of mail to a few messages a
second. A poll is one short transaction on a file of a few pages."""

from kombu.transport import sqlalchemy


class Channel(sqlalchemy.Channel):
    def _get(self, queue):
        payload = super()._get(queue)  # raises Empty when there is nothing to take
        consumed = self.session.query(self.message_cls).filter(self.message_cls.visible.is_(False))
        consumed.delete(synchronize_session=False)
        self.session.commit()
        return payload


class Transport(sqlalchemy.Transport):
    Channel = Channel
    polling_interval = 0.2  # seconds
