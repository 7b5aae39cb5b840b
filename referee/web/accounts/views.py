"""Signing in: with a password, by a personal link from a mail, and asking for a fresh link; `/`
sends whoever comes to the page they can use."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from referee.core import sign_in_limits
from referee.core.sign_in_links import redeem, refusal_of
from referee.notifications.mails import REVIEWS_PATH, fresh_sign_in_link
from referee.web.accounts.forms import FreshLinkForm, SignInForm

# A spent link's status: unknown (or of a deactivated user) 404; used or expired 410 (gone for
# good); another user's, while someone else is signed in here, 403 (the link stays usable).
REFUSED_LINK_STATUS = {"unknown": 404, "used": 410, "expired": 410, "another_user": 403}
# Fresh links asked for in a window of REFEREE_SIGN_IN_WINDOW_SECONDS: per address typed, per client.
FRESH_LINKS_PER_EMAIL = 3
FRESH_LINKS_PER_CLIENT = 10
FRESH_LINK_SENT = ("If an account uses that address, a new sign-in link is on its way to it. "
                   "It works once, for 24 hours.")


def home(request):
    return redirect(REVIEWS_PATH if request.user.is_authenticated else "login")


class SignInView(auth_views.LoginView):
    """Django's LoginView with the username-or-address form; a refusal for too many attempts
    answers 429 with a Retry-After header."""

    form_class = SignInForm
    template_name = "web/accounts/login.html"
    redirect_authenticated_user = True
    extra_context = {"version": settings.SPECTACULAR_SETTINGS["VERSION"]}  # below the form: what Referee is

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400  # a refused form, its message on the page (house rule: bad input is a 400)
        if form.retry_at is not None:
            response.status_code = 429
            response["Retry-After"] = sign_in_limits.seconds_until(form.retry_at)
        return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_by_link(request, token):
    """A personal link from a mail. GET shows a page whose form uses the link (its script submits
    the form at once; without scripts the reader presses Continue): mail scanners and link
    previews fetch every link of a mail with GET, and must not spend it. POST uses the link once:
    signs its user in and lands on its page. Either says why not when it cannot, with a form for
    a fresh link (revealing nothing of whose link it was)."""
    if request.method != "POST":  # GET, and HEAD (which some scanners send): the page, nothing used
        refusal = refusal_of(token, request.user)
        if not refusal:
            return render(request, "web/accounts/link_continue.html")
    else:
        result = redeem(token, request.user)
        if result.user is not None:
            login(request, result.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return redirect(result.target_path)
        refusal = result.refusal
    form = FreshLinkForm(initial={"link": token if refusal in ("used", "expired") else ""})
    return render(request, "web/accounts/link_refused.html", {"refusal": refusal, "form": form},
                  status=REFUSED_LINK_STATUS[refusal])


@never_cache
@require_http_methods(["GET", "POST"])
def fresh_link(request):
    """Ask for a new sign-in link by mail. The answer is the same whether or not an account uses
    the address; requests are limited per address typed and per client."""
    if request.method == "GET":
        return render(request, "web/accounts/fresh_link.html", {"form": FreshLinkForm()})
    form = FreshLinkForm(request.POST)
    status = 400
    if form.is_valid():
        limits = [sign_in_limits.Limit("fresh-link-email", form.cleaned_data["email"], FRESH_LINKS_PER_EMAIL),
                  sign_in_limits.Limit("fresh-link-client", sign_in_limits.client_address(request), FRESH_LINKS_PER_CLIENT)]
        until = sign_in_limits.spent_until(limits)
        if until is None:
            sign_in_limits.count(limits)
            with transaction.atomic():
                fresh_sign_in_link(form.cleaned_data["email"], form.cleaned_data["link"])
            messages.success(request, FRESH_LINK_SENT)
            return redirect("fresh-link")
        form.add_error(None, sign_in_limits.refusal(until))
        status = 429
    response = render(request, "web/accounts/fresh_link.html", {"form": form}, status=status)
    if status == 429:
        response["Retry-After"] = sign_in_limits.seconds_until(until)
    return response
