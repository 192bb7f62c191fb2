from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo-data command; it sits above every domain app, since it seeds them all."""

    name = "demo"
    verbose_name = "演示数据"
