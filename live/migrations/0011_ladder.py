from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("live", "0010_schedules_simulcast_embeds"),
    ]

    operations = [
        migrations.AddField(
            model_name="camera",
            name="ladder",
            field=models.BooleanField(default=True),
        ),
    ]
