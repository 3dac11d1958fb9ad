"""Admin screens of the reconciliation import (registered from payments/admin.py)."""
