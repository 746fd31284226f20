"""Religion and account type values in the web client's upper-case spelling."""

from django.db import migrations, models
from django.db.models.functions import Lower, Upper


def to_upper(apps, schema_editor):
    Customer = apps.get_model("accounts", "Customer")
    Manager = apps.get_model("accounts", "Manager")
    for model in (Customer, Manager):
        model.objects.exclude(religion="").update(religion=Upper("religion"))
    Customer.objects.update(account_type=Upper("account_type"))


def to_lower(apps, schema_editor):
    Customer = apps.get_model("accounts", "Customer")
    Manager = apps.get_model("accounts", "Manager")
    for model in (Customer, Manager):
        model.objects.exclude(religion="").update(religion=Lower("religion"))
    Customer.objects.update(account_type=Lower("account_type"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_user_tokens_valid_after")]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="account_type",
            field=models.CharField(
                choices=[
                    ("SAVINGS", "Savings"),
                    ("CHECKING", "Checking"),
                    ("BUSINESS", "Business"),
                    ("JOINT", "Joint"),
                    ("CURRENT", "Current"),
                ],
                default="SAVINGS",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="religion",
            field=models.CharField(
                blank=True,
                choices=[
                    ("ISLAM", "Islam"),
                    ("CHRISTIANITY", "Christianity"),
                    ("HINDUISM", "Hinduism"),
                    ("BUDDHISM", "Buddhism"),
                    ("JUDAISM", "Judaism"),
                    ("ATHEISM", "Atheism"),
                    ("OTHER", "Other"),
                    ("UNDISCLOSED", "Prefer not to say"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="manager",
            name="religion",
            field=models.CharField(
                blank=True,
                choices=[
                    ("ISLAM", "Islam"),
                    ("CHRISTIANITY", "Christianity"),
                    ("HINDUISM", "Hinduism"),
                    ("BUDDHISM", "Buddhism"),
                    ("JUDAISM", "Judaism"),
                    ("ATHEISM", "Atheism"),
                    ("OTHER", "Other"),
                    ("UNDISCLOSED", "Prefer not to say"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(to_upper, to_lower),
    ]
