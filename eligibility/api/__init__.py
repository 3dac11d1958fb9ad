"""The REST API of the eligibility app (routed in config/api.py)."""
