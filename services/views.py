from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics

from bank_project.api.pagination import ArrayUnlessPagedPagination
from staff.permissions import ReadOrCapability

from . import selectors, services
from .serializers import ServiceSerializer


@extend_schema_view(
    get=extend_schema(summary="List the bank's services",
                      description="Public. Managers also see inactive services. A bare array in display order; "
                                  "`?page=` or `?page_size=` gives the paginated object instead.",
                      auth=[{"jwtAuth": []}, {}]),
    post=extend_schema(summary="Add a service (managers only)"),
)
class ServiceListCreateView(generics.ListCreateAPIView):
    serializer_class = ServiceSerializer
    permission_classes = [ReadOrCapability("manage_services")]
    pagination_class = ArrayUnlessPagedPagination
    filterset_fields = ["is_active"]
    search_fields = ["name", "description"]

    def get_queryset(self):
        return selectors.services_for(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.create_service(**serializer.validated_data)


@extend_schema_view(
    get=extend_schema(summary="One service", description="Public for active services.", auth=[{"jwtAuth": []}, {}]),
    put=extend_schema(summary="Replace a service (managers only)"),
    patch=extend_schema(summary="Change a service (managers only)"),
    delete=extend_schema(summary="Remove a service (managers only)"),
)
class ServiceDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = ServiceSerializer
    permission_classes = [ReadOrCapability("manage_services")]

    def get_queryset(self):
        return selectors.services_for(self.request.user)

    def perform_update(self, serializer):
        serializer.instance = services.update_service(service=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_service(service=instance)
