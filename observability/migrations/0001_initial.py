from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='JournalEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('request_id', models.CharField(db_index=True, max_length=128)),
                ('trace_id', models.CharField(blank=True, db_index=True, max_length=32)),
                ('method', models.CharField(max_length=16)),
                ('route', models.CharField(max_length=255)),
                ('path', models.TextField()),
                ('status', models.PositiveSmallIntegerField()),
                ('duration_ms', models.FloatField()),
                ('started_at', models.DateTimeField(db_index=True)),
                ('instance', models.CharField(max_length=64)),
                ('user', models.CharField(blank=True, max_length=64)),
                ('exception', models.CharField(blank=True, max_length=200)),
                ('logs', models.JSONField(default=list)),
            ],
            options={
                'verbose_name_plural': 'journal entries',
            },
        ),
    ]
