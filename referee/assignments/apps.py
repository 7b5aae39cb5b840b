from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "referee.assignments"
    label = "assignments"
