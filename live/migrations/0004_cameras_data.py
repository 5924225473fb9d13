# Cameras, step 2 of 3: every event gets its default camera, "main", and every
# broadcast and viewer link moves to it. A camera live at the upgrade keeps the
# ingest credentials its encoder already uses (RTMP name and key, SRT port and
# passphrase), so the upgrade does not cut a running broadcast off.

import secrets

from django.db import migrations


def new_ingest_name(event_id, slug):
    return f"{event_id[:24]}-{slug[:20]}-{secrets.token_hex(4)}"


def forwards(apps, schema_editor):
    Event = apps.get_model("live", "Event")
    Camera = apps.get_model("live", "Camera")
    Broadcast = apps.get_model("live", "Broadcast")
    ViewerLink = apps.get_model("live", "ViewerLink")
    for event in Event.objects.all():
        latest = Broadcast.objects.filter(event=event).order_by("-started_at", "-pk").first()
        live = latest if latest is not None and latest.stopped_at is None else None
        camera = Camera.objects.create(
            event=event,
            slug="main",
            name="Main camera",
            position=0,
            source=latest.source if latest else "mock",
            camera_url=latest.camera_url if latest else "",
            ingest_name=(
                live.stream_name
                if live is not None and live.source == "rtmp"
                else new_ingest_name(event.pk, "main")
            ),
            stream_key=(live.ingest_secret if live and live.ingest_secret else secrets.token_urlsafe(24)),
            srt_port=live.ingest_port if live is not None and live.source == "srt" else None,
        )
        Broadcast.objects.filter(event=event).update(camera=camera)
        ViewerLink.objects.filter(broadcast__event=event).update(event=event, camera=camera)


class Migration(migrations.Migration):

    dependencies = [
        ("live", "0003_cameras"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
