"""Monitoring: the key-monitoring risk scan, 三无 elevators and the elevator history timeline."""
