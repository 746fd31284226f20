
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from bank_project.money import ZERO, money_field

# Mobile numbers: an optional +, then 10 to 15 digits (E.164 length), no spaces.
mobile_no_validator = RegexValidator(
    r"^\+?[0-9]{10,15}$", "Enter a mobile number of 10 to 15 digits, optionally starting with +."
)
# National ID numbers: 10, 13 or 17 digits (the Bangladeshi NID formats).
nid_validator = RegexValidator(r"^([0-9]{10}|[0-9]{13}|[0-9]{17})$", "Enter a national ID of 10, 13 or 17 digits.")


class User(AbstractUser):
    """The login. What the person may do follows from their Customer or Manager profile."""

    email = models.EmailField("email address", blank=True)

    @property
    def is_manager(self) -> bool:
        return self.is_superuser or hasattr(self, "manager")

    @property
    def is_customer(self) -> bool:
        return hasattr(self, "customer")

    @property
    def role(self) -> str:
        if self.is_manager:
            return "manager"
        if self.is_customer:
            return "customer"
        return "user"


# Stored and answered in the upper-case spelling the web client sends (docs/web-client.md);
# the API accepts any letter case (accounts.serializers.UpperCaseChoiceField).
class Religion(models.TextChoices):
    ISLAM = "ISLAM", "Islam"
    CHRISTIANITY = "CHRISTIANITY", "Christianity"
    HINDUISM = "HINDUISM", "Hinduism"
    BUDDHISM = "BUDDHISM", "Buddhism"
    JUDAISM = "JUDAISM", "Judaism"
    ATHEISM = "ATHEISM", "Atheism"
    OTHER = "OTHER", "Other"
    UNDISCLOSED = "UNDISCLOSED", "Prefer not to say"


class AccountType(models.TextChoices):
    SAVINGS = "SAVINGS", "Savings"
    CHECKING = "CHECKING", "Checking"
    BUSINESS = "BUSINESS", "Business"
    JOINT = "JOINT", "Joint"
    CURRENT = "CURRENT", "Current"


class Profile(models.Model):
    """Fields every bank profile carries."""

    mobile_no = models.CharField(max_length=16, validators=[mobile_no_validator])
    nid = models.CharField("national ID", max_length=17, unique=True, validators=[nid_validator])
    image = models.URLField(max_length=500, blank=True)
    age = models.PositiveSmallIntegerField(validators=[MinValueValidator(18), MaxValueValidator(120)])
    religion = models.CharField(max_length=20, choices=Religion.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Customer(Profile):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="customer")
    occupation = models.CharField(max_length=100, blank=True)
    monthly_income = money_field(default=ZERO, validators=[MinValueValidator(ZERO)])
    account_type = models.CharField(max_length=20, choices=AccountType.choices, default=AccountType.SAVINGS)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(age__gte=18) & Q(age__lte=120), name="customer_age_18_to_120"),
            models.CheckConstraint(condition=Q(monthly_income__gte=0), name="customer_income_not_negative"),
        ]

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username} (customer #{self.pk})"


class Manager(Profile):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="manager")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(age__gte=18) & Q(age__lte=120), name="manager_age_18_to_120"),
        ]

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username} (manager #{self.pk})"


class ManagerApplication(models.Model):
    """A signed-in user with no profile asks to become a manager (the web client's manager
    form). Nobody becomes a manager without another manager's decision: approval creates the
    Manager profile from these fields (accounts.services.approve_manager_application)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="manager_applications")
    mobile_no = models.CharField(max_length=16, validators=[mobile_no_validator])
    nid = models.CharField("national ID", max_length=17, validators=[nid_validator])
    image = models.URLField(max_length=500, blank=True)
    age = models.PositiveSmallIntegerField(validators=[MinValueValidator(18), MaxValueValidator(120)])
    religion = models.CharField(max_length=20, choices=Religion.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One pending application per user, whatever races the API or the admin.
            models.UniqueConstraint(fields=["user"], condition=Q(status="pending"),
                                    name="one_pending_manager_application_per_user"),
            models.CheckConstraint(condition=Q(age__gte=18) & Q(age__lte=120), name="manager_application_age"),
        ]

    def __str__(self):
        return f"manager application #{self.pk} of {self.user.username} ({self.status})"
