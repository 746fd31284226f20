from django.db.models import QuerySet

from .models import Service


def services_for(user) -> QuerySet[Service]:
    """Managers see the whole catalogue; everyone else only the active services."""
    services = Service.objects.all()
    if user is not None and user.is_authenticated and user.is_manager:
        return services
    return services.filter(is_active=True)
