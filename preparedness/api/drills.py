"""Preparedness API: drills."""

urlpatterns = []
