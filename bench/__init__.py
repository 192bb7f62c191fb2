"""The benchmarks (`make bench`, scripts run from this folder) and, as a Django app, the scale-data generator
they run on (`generate_scale_data --elevators N`)."""
