"""Demo data for `make run`: `seed_demo` calls each app's own demo module (registry.demo, inspections.demo, …)."""
