from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assignments', '0008_matching_job'),
    ]

    operations = [
        migrations.AlterField(
            model_name='matchingjob',
            name='kind',
            field=models.CharField(choices=[('affinities', 'Compute affinities'), ('generation', 'Generate assignments'), ('comparison', 'Compare the algorithms')], max_length=16),
        ),
    ]
