from celery import shared_task

from referee.conflicts.detection import run_detection


@shared_task(acks_late=True)
def run_coi_detection(job_id: int) -> None:
    run_detection(job_id)
