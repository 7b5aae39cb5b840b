"""The Pool tab and its actions (`call/<uuid>/manage/pool/…`)."""

from django.urls import path

from referee.web.console import tabs
from referee.web.console.pool import views

urlpatterns = [
    path("call/<uuid:uuid>/manage/pool/invite/", views.invite, name="console-pool-invite"),
    path("call/<uuid:uuid>/manage/pool/invite-by-email/", views.invite_by_email, name="console-pool-invite-by-email"),
    path("call/<uuid:uuid>/manage/pool/<uuid:entry_uuid>/resend/", views.resend, name="console-pool-resend"),
    path("call/<uuid:uuid>/manage/pool/<uuid:entry_uuid>/force-accept/", views.force_accept,
         name="console-pool-force-accept"),
]

tabs.register("pool", "Pool", views.tab, order=20)
