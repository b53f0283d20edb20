"""The audit log's table, then its guard: triggers that refuse UPDATE, DELETE and TRUNCATE.

The table is created here by Django and then marked unmanaged, so that `flush` (which empties every managed
table, and which the trigger would refuse) leaves it alone.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


POSTGRESQL_GUARD = """
CREATE FUNCTION company_auditevent_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'company_auditevent is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER company_auditevent_no_update_delete BEFORE UPDATE OR DELETE ON company_auditevent
    FOR EACH ROW EXECUTE FUNCTION company_auditevent_refuse();
CREATE TRIGGER company_auditevent_no_truncate BEFORE TRUNCATE ON company_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION company_auditevent_refuse();
"""
POSTGRESQL_UNGUARD = """
DROP TRIGGER IF EXISTS company_auditevent_no_truncate ON company_auditevent;
DROP TRIGGER IF EXISTS company_auditevent_no_update_delete ON company_auditevent;
DROP FUNCTION IF EXISTS company_auditevent_refuse();
"""
SQLITE_GUARD = [
    """CREATE TRIGGER company_auditevent_no_update BEFORE UPDATE ON company_auditevent
    BEGIN SELECT RAISE(ABORT, 'company_auditevent is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER company_auditevent_no_delete BEFORE DELETE ON company_auditevent
    BEGIN SELECT RAISE(ABORT, 'company_auditevent is append-only: DELETE refused'); END;""",
]
SQLITE_UNGUARD = [
    "DROP TRIGGER IF EXISTS company_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS company_auditevent_no_delete;",
]


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_GUARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_GUARD:
            schema_editor.execute(statement)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_UNGUARD)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_UNGUARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('company', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True)),
                ('event', models.CharField(choices=[('login', 'Login'), ('login_failed', 'Failed login'), ('locked_out', 'Locked out'), ('two_factor_enrolled', 'Two-factor device enrolled'), ('autopay_activated', 'AutoPay activated'), ('keys_rotated', 'Encryption keys rotated'), ('role_granted', 'Role granted'), ('role_changed', 'Role changed'), ('role_revoked', 'Role revoked'), ('supplier_bank_account_changed', 'Supplier bank account changed'), ('payment_uploaded', 'Payments uploaded'), ('payment_flag_overridden', 'Payment flag overridden')], max_length=40)),
                ('username', models.CharField(blank=True, default='', max_length=150)),
                ('ip', models.GenericIPAddressField(blank=True, null=True)),
                ('details', models.JSONField(blank=True, default=dict)),
                ('company', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='company.company')),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'audit event',
                'verbose_name_plural': 'audit events',
                'db_table': 'company_auditevent',
                'ordering': ['-at', '-id'],
                'managed': True,
            },
        ),
        # After the table exists: from now on Django neither alters nor flushes it.
        migrations.AlterModelOptions(
            name="auditevent",
            options={
                "managed": False,
                "ordering": ["-at", "-id"],
                "verbose_name": "audit event",
                "verbose_name_plural": "audit events",
            },
        ),
        migrations.RunPython(guard, unguard),
    ]
