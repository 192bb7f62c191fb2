"""Preparedness pages: insurance."""

urlpatterns = []
