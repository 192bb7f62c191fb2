"""Preparedness API: insurance."""

urlpatterns = []
