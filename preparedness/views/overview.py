"""Preparedness pages: overview."""

urlpatterns = []
