"""Faults and entrapment rescue (TSG T5002 §5; 条例 §64): rules, services, selectors, pages and API."""
