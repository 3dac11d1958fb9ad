from django.urls import path

from enrollment.portal import accounts_views

urlpatterns = [
    path("", accounts_views.account, name="account"),
    path("login/", accounts_views.PortalLoginView.as_view(), name="login"),
    path("logout/", accounts_views.PortalLogoutView.as_view(), name="logout"),
    path("register/", accounts_views.register, name="register"),
    path("register/confirm/", accounts_views.register_confirm, name="register_confirm"),
    path("password/", accounts_views.password_change, name="password_change"),
    path("password/reset/", accounts_views.password_reset, name="password_reset"),
    path("password/reset/confirm/", accounts_views.password_reset_confirm, name="password_reset_confirm"),
    path("children/", accounts_views.children, name="children"),
]
