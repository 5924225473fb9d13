from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("live", "0007_camera_refusals"),
    ]

    operations = [
        migrations.AddField(
            model_name="camera",
            name="ladder",
            field=models.BooleanField(default=True),
        ),
    ]
