"""The accepted members of each call's pool, for a manager's visibility of profiles (read from
the index alone: docs/benchmarks.md, "Sixteenth pass")."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('calls', '0010_proposal_row_counts'),
        ('reviewers', '0004_row_counts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='callreviewerpool',
            index=models.Index(condition=models.Q(('invitation_status', 'accepted')), fields=['call', 'reviewer'],
                               name='pool_accepted_by_call'),
        ),
    ]
