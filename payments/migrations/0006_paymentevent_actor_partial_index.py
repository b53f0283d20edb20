"""Payment events: the actor's index holds only the events a user made (AutoPay's statuses have no actor)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('company', '0002_audit_event'),
        ('payments', '0005_uploadrun_ip'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='paymentevent',
            index=models.Index(condition=models.Q(('actor__isnull', False)), fields=['actor'], name='paymentevent_actor'),
        ),
        migrations.AlterField(
            model_name='paymentevent',
            name='actor',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
    ]
