"""The CSV page of a call's console (`call/<uuid>/manage/csv/`): exports streamed as they are
read, and the import's preview and apply through `assignments.csv_import.import_assignments`
(the function the API's `import-assignments/` calls too)."""

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET

from referee.assignments import csv_export
from referee.assignments.csv_import import ImportRefused, import_assignments
from referee.web.console.access import manages_call, reads_call
from referee.web.console.csv.forms import ImportForm
from referee.web.console.views import render_tab
from referee.web.pages import refusals_on

# The page sits under the Assignments tab, which links to it.
TAB = "assignments"


def render_page(request, call, *, form=None, plan=None, checked=None, status=200):
    """The page; after a preview or a refused apply, `plan` (each row's outcome) and `checked`
    (the checked file's text and override, which the apply button posts back)."""
    return render_tab(request, call, "web/console/csv/page.html", {
        "current_tab": TAB, "form": form or ImportForm(), "plan": plan, "checked": checked}, status=status)


@reads_call
@require_GET
def page(request, call):
    return render_page(request, call)


def download(call, name: str, content) -> StreamingHttpResponse:
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{call.slug or call.uuid.hex}-{name}.csv"'
    return response


@reads_call
@require_GET
def assignments(request, call):
    return download(call, "assignments", csv_export.assignment_lines(call))


@reads_call
@require_GET
def affinities(request, call):
    return download(call, "affinities", csv_export.matrix_lines(call))


@manages_call
def import_file(request, call):
    """Preview (the default button) or apply (`apply`): a refused file or apply answers 400 with
    the words beside the file field; a preview lists every row's outcome; an apply redirects."""
    form = ImportForm(request.POST, request.FILES)
    applying = "apply" in request.POST
    plan = checked = None
    if form.is_valid():
        data = form.cleaned_data
        checked = {"content": data["content"].decode("utf-8-sig", errors="replace"),
                   "override": data["override_workload_limit"]}
        with refusals_on(form):
            try:
                plan = import_assignments(call, data["content"], actor=request.user, dry_run=not applying,
                                          override_workload_limit=data["override_workload_limit"])
            except ImportRefused as refused:
                plan = refused.plan
                raise
        if not form.refused:
            if applying:
                unchanged = plan.counts["unchanged"]
                messages.success(request, f"{plan.items_created} assignments created in draft batches; "
                                          f"{unchanged} line{pluralize(unchanged)} already assigned, unchanged.")
                return redirect("console-csv", uuid=call.uuid)
            return render_page(request, call, plan=plan, checked=checked)
    return render_page(request, call, form=form, plan=plan, checked=checked, status=400)
