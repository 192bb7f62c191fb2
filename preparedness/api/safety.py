"""Preparedness API: safety."""

urlpatterns = []
