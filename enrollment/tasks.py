"""Celery tasks of the register, gathered here so that the workers' autodiscovery finds them; each is
defined beside the service it calls."""

from enrollment.portal.accounts import code_sms_send

__all__ = ["code_sms_send"]
