"""Preparedness pages: drills."""

urlpatterns = []
