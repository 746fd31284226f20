"""factory-boy factories. Customers are made through the service, so each gets its account."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from accounts import services as account_services
from accounts.models import Customer, Manager
from onboarding import services as onboarding
from transactions import services as ledger

User = get_user_model()
PASSWORD = "Correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)
    mobile_no = factory.Sequence(lambda n: f"017{n:08d}")
    nid = factory.Sequence(lambda n: f"{1000000000 + n}")
    age = 30
    occupation = "Engineer"
    monthly_income = Decimal("50000.00")
    account_type = "SAVINGS"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service: the customer's bank account opens with the profile.
        return onboarding.open_customer(**kwargs)


class ManagerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Manager

    user = factory.SubFactory(UserFactory)
    mobile_no = factory.Sequence(lambda n: f"018{n:08d}")
    nid = factory.Sequence(lambda n: f"{2000000000 + n}")
    age = 45

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return account_services.create_manager(**kwargs)


def fund(customer: Customer, amount: str | Decimal) -> None:
    """Give a customer money the honest way: a deposit through the ledger."""
    ledger.deposit(account=customer.account, amount=Decimal(amount), performed_by=None)
    customer.account.refresh_from_db()
