# Cameras, step 3 of 3: one live broadcast per camera (was: per event), every
# broadcast and link has its camera or event, and the per-broadcast secret is
# gone (it lives on the camera now).

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):

    dependencies = [
        ("live", "0004_cameras_data"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="broadcast", name="one_live_broadcast_per_event"),
        migrations.AlterField(
            model_name="broadcast",
            name="camera",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="broadcasts", to="live.camera"),
        ),
        migrations.AddConstraint(
            model_name="broadcast",
            constraint=models.UniqueConstraint(condition=Q(stopped_at__isnull=True), fields=("camera",), name="one_live_broadcast_per_camera"),
        ),
        migrations.RemoveField(model_name="broadcast", name="ingest_secret"),
        migrations.RemoveField(model_name="viewerlink", name="broadcast"),
        migrations.AlterField(
            model_name="viewerlink",
            name="event",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="viewer_links", to="live.event"),
        ),
    ]
