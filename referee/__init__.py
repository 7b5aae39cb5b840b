"""Referee. The Celery app is loaded with the package, so every process (web worker, Celery worker,
console command) has it configured before any task is imported or sent."""

from referee.celery import app as celery_app

__all__ = ("celery_app",)
