from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Scale data for the benchmarks: no models, one management command (`generate_scale_data`)."""

    name = "bench"
    verbose_name = "性能测试数据"
