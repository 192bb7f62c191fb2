"""Preparedness pages: safety."""

urlpatterns = []
