import django.db.models
from django.db import migrations

import live.time_zones


class Migration(migrations.Migration):
    dependencies = [("live", "0013_lease_media_host")]

    operations = [
        migrations.AddField(
            model_name="event",
            name="time_zone",
            field=django.db.models.CharField(
                default=live.time_zones.default_time_zone,
                help_text="The IANA time zone the event happens in, e.g. Europe/London: the "
                "pages show times in it and schedules are entered in it.",
                max_length=64,
                validators=[live.time_zones.validate_time_zone],
            ),
        ),
    ]
