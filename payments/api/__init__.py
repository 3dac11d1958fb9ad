"""The REST API of the payments app (routed in config/api.py)."""
