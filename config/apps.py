from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The `config` package as an app: registers its system checks and the sign-in stamp of the
    session limits (config/security.py) at start-up."""

    name = "config"
    verbose_name = "Project configuration"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from config import checks  # noqa: F401 - registers the checks
        from config.security import stamp_on_sign_in

        user_logged_in.connect(stamp_on_sign_in, dispatch_uid="config.security.stamp_on_sign_in")
