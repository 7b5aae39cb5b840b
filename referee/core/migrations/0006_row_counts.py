"""Counters of the audit events per call, kept by triggers on PostgreSQL (referee.api.row_counts)."""

from django.db import migrations, models

from referee.api.row_counts import count_by_call, install_add_function


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_customer_country'),
    ]

    operations = [
        migrations.CreateModel(
            name='RowCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('table_name', models.CharField(max_length=63)),
                ('call_id', models.BigIntegerField()),
                ('n', models.BigIntegerField()),
            ],
            options={
                'indexes': [models.Index(fields=['table_name', 'call_id'], name='row_count_key')],
            },
        ),
        install_add_function(),
        count_by_call("core_auditevent"),
    ]
