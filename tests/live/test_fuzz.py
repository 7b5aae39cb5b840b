"""Property-based fuzzing of every operation in /api/schema/ against `referee serve` on PostgreSQL
(schemathesis), as staff, a call manager, a reviewer and an anonymous caller at once: no server
error, and every status code, content type and body conforms to the schema.

Each caller is one schemathesis process (its own folder, so their example databases stay apart)
running the coverage phase (boundary and invalid values of every parameter and field) and then
the fuzzing phase, within a time budget sized for CI (`FUZZ_SECONDS`, 80 by default; a longer
budget tests more cases). The numbers of operations and test cases per caller are printed and
written to test-results/fuzz-summary.json (docs/fuzzing.md records runs)."""

import json
import os
import subprocess
import sys

import pytest

from referee import demo
from referee.core.accounts import token_for
from referee.core.models import User
from tests.live.conftest import ROOT
from tests.live.processes import START_TIMEOUT, healthy, schema_operations, wait_until
from tests.notifications.conftest import free_port

pytestmark = pytest.mark.live
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
CALLERS = {"staff": "staff", "manager": "manager", "reviewer": "reviewer1", "anonymous": None}  # → demo user
SECONDS = int(os.environ.get("FUZZ_SECONDS", "80"))
SUMMARY = ROOT / "test-results" / "fuzz-summary.json"


def schemathesis(url: str, token: str | None, report) -> list[str]:
    argv = [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/api/schema/", "--checks", CHECKS,
            "--phases", "coverage,fuzzing", "--max-time", str(SECONDS), "--workers", "1", "--no-shrink",
            "--report", "json", "--report-json-path", str(report), "--request-timeout", "30",
            "--output-truncate", "true"]
    return argv + (["--header", f"Authorization: Token {token}"] if token else [])


def findings(output: str) -> str:
    """Schemathesis's failures and errors, without the long warnings that follow them."""
    start = min((output.find(f" {h} ") for h in ("FAILURES", "ERRORS") if f" {h} " in output), default=0)
    end = output.find(" WARNINGS ", start)
    return output[start : end if end > start else None][:20000]


def test_every_operation_for_every_caller_conforms_to_the_schema(stack, tmp_path):
    demo.load()
    users = {u.username: u for u in User.objects.filter(username__in=[name for name in CALLERS.values() if name])}
    port = free_port()
    # A worker on the stack's broker: without one, detect-conflicts rightly answers 503 (no job would run).
    stack.worker("worker-fuzz")
    serve = stack.spawn("serve-fuzz", [sys.executable, "-m", "referee.cli", "serve", "--port", str(port)])
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: healthy(url, serve), START_TIMEOUT, what="referee serve to answer")

    runs = {}
    for caller, username in CALLERS.items():
        folder = tmp_path / caller
        folder.mkdir()
        token = token_for(users[username]) if username else None
        argv = schemathesis(url, token, folder / "report.json")
        runs[caller] = subprocess.Popen(argv, cwd=folder, stdout=(folder / "output.txt").open("w"),
                                        stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})
    for process in runs.values():
        process.wait(timeout=SECONDS + 300)

    summary, problems = {}, {}
    for caller, process in runs.items():
        folder = tmp_path / caller
        report = json.loads((folder / "report.json").read_text())
        summary[caller] = {"seconds": SECONDS, "operations": report["operations"]["tested"],
                           "test_cases": report["test_cases"]["generated"],
                           "failures": len(report["failures"]), "errors": len(report["errors"]), "seed": report["seed"]}
        if process.returncode != 0 or report["failures"] or report["errors"]:
            problems[caller] = findings((folder / "output.txt").read_text())
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    tracebacks = serve.output().split("Traceback")[1:]  # the server's side of any 500
    assert problems == {}, "\n\n".join([*(f"===== {caller} =====\n{text}" for caller, text in problems.items()),
                                        *(f"===== server =====\nTraceback{t[:4000]}" for t in tracebacks[:3])])
    operations = schema_operations(url)
    assert {caller: s["operations"] for caller, s in summary.items()} == {caller: operations for caller in CALLERS}
    assert "Traceback" not in serve.output()
