"""Writes on the service catalogue. Views, the admin and seed_demo call these."""

from django.db import transaction

from .models import Service

EDITABLE_FIELDS = ("name", "description", "image", "is_active", "display_order", "static_image")


@transaction.atomic
def create_service(*, name: str, description: str = "", image: str = "", is_active: bool = True,
                   display_order: int = 0, static_image: str = "") -> Service:
    service = Service(
        name=name.strip(), description=description, image=image, is_active=is_active, display_order=display_order,
        static_image=static_image,
    )
    service.full_clean()  # the case-insensitive unique name, as a 400 rather than an IntegrityError
    service.save()
    return service


@transaction.atomic
def update_service(*, service: Service, **changes) -> Service:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"update_service() got unexpected fields: {', '.join(sorted(unknown))}")
    service = Service.objects.select_for_update().get(pk=service.pk)
    for field, value in changes.items():
        setattr(service, field, value.strip() if field == "name" else value)
    service.full_clean()
    service.save()
    return service


@transaction.atomic
def delete_service(*, service: Service) -> None:
    """Contact messages that named this service keep the message, without the link."""
    Service.objects.filter(pk=service.pk).delete()
