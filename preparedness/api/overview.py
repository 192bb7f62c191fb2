"""Preparedness API: overview."""

urlpatterns = []
