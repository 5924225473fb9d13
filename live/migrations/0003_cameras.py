# Cameras: an event has cameras; a broadcast is one session of one camera; viewer
# links belong to the event or a camera. Step 1 of 3: new tables and nullable
# columns (the data step and the constraints follow in 0004 and 0005, so that
# PostgreSQL never alters a table with pending row changes in one transaction).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("live", "0002_ingest_links_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="Camera",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slug", models.SlugField(max_length=40)),
                ("name", models.CharField(max_length=100)),
                ("position", models.PositiveIntegerField(default=0)),
                ("source", models.CharField(choices=[("mock", "Mock (looped test fixture)"), ("livekit", "LiveKit (WHIP ingest)"), ("rtmp", "RTMP push (OBS, encoders)"), ("srt", "SRT push"), ("rtsp", "RTSP pull (IP camera)")], default="mock", max_length=16)),
                ("camera_url", models.CharField(blank=True, max_length=500)),
                ("ingest_name", models.SlugField(max_length=80, unique=True)),
                ("stream_key", models.CharField(max_length=64)),
                ("srt_port", models.PositiveIntegerField(blank=True, null=True, unique=True)),
                ("key_rotated_at", models.DateTimeField(blank=True, null=True)),
                ("auto_start", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("event", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="cameras", to="live.event")),
            ],
            options={"ordering": ["position", "id"]},
        ),
        migrations.AddConstraint(
            model_name="camera",
            constraint=models.UniqueConstraint(fields=("event", "slug"), name="camera_slug_unique_in_event"),
        ),
        migrations.AddField(
            model_name="broadcast",
            name="camera",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="broadcasts", to="live.camera"),
        ),
        migrations.AddField(
            model_name="viewerlink",
            name="event",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="viewer_links", to="live.event"),
        ),
        migrations.AddField(
            model_name="viewerlink",
            name="camera",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="viewer_links", to="live.camera"),
        ),
    ]
