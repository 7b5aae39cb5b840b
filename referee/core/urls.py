from referee.core.views import CustomerViewSet, UserViewSet


def register(router):
    router.register("users", UserViewSet, basename="user")
    router.register("customers", CustomerViewSet, basename="customer")
