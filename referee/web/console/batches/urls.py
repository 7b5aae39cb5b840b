"""The Batches tab and its actions (`call/<uuid>/manage/batches/…`)."""

from django.urls import path

from referee.web.console import tabs
from referee.web.console.batches import views

BATCH = "call/<uuid:uuid>/manage/batches/<uuid:batch_uuid>"
ITEM = "call/<uuid:uuid>/manage/batches/items/<uuid:item_uuid>"

urlpatterns = [
    path(f"{BATCH}/send/", views.send, name="console-batch-send"),
    path(f"{BATCH}/cancel/", views.cancel, name="console-batch-cancel"),
    path(f"{BATCH}/extend/", views.extend, name="console-batch-extend"),
    path(f"{ITEM}/alternatives/", views.alternatives, name="console-item-alternatives"),
    path(f"{ITEM}/reassign/", views.reassign, name="console-item-reassign"),
]

# Its key is the one Waldur's links in the managers' mails lead to (`tabs.WALDUR_POOL_TABS`).
tabs.register("batches", "Batches", views.tab, order=50)
