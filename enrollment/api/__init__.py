"""The REST API's shared layer (token authentication, scopes, errors, pagination, CSV, masking) and the
register's resources. Routed in config/api.py."""
