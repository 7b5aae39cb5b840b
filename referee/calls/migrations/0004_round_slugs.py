"""Rounds made without a name or slug had slug "": they get "round", as new ones do."""

from django.db import migrations


def fill_blank_slugs(apps, schema_editor):
    apps.get_model("calls", "Round").objects.filter(slug="").update(slug="round")


class Migration(migrations.Migration):
    dependencies = [("calls", "0003_list_indexes")]

    operations = [migrations.RunPython(fill_blank_slugs, migrations.RunPython.noop)]
