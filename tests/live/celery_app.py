"""The project's Celery app with a short Redis visibility timeout, for the worker-death test.

A message a dead worker had taken (acks_late: taken, never acknowledged) goes back to the queue
once the visibility timeout has passed: an hour by default, two seconds here, so the test can
watch a new worker pick it up. Only the timeout differs from production."""

from referee.celery import app

app.conf.broker_transport_options = {
    "visibility_timeout": 2,
    "unacked_restore_interval": 1,  # look for abandoned messages every second...
    "unacked_restore_throttle": 1,  # ...on every look, not every tenth
}
