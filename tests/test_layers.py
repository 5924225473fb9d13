"""The import rules (pyproject.toml's contracts, docs/architecture.md) hold, there is no
import circle, and gunicorn's process loads no worker module."""

import json
import subprocess
import sys
from pathlib import Path

import grimp

from tests.processes import app_env

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def test_the_import_contracts_are_kept():
    done = subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def _cycles(graph, modules):
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(root):
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    imported = graph.find_modules_directly_imported_by(child) & modules
                    work.append((child, iter(sorted(imported))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_of_live_takes_part_in_an_import_circle():
    # grimp reads every import statement, those inside functions too: a circle
    # dodged by a lazy import is still a circle.
    graph = grimp.build_graph("live")
    modules = {m for m in graph.modules if ".migrations" not in m}
    # The models module imports the webhook models at its end, and they name the
    # event by model: one models module in two files, as Django allows.
    graph.remove_import(importer="live.webhook_models", imported="live.models")
    assert _cycles(graph, modules) == []


LOAD_THE_WEB_APP = """
import json, sys
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
from django.urls import get_resolver
from django.template import engines
get_resolver().url_patterns
for engine in engines.all():
    engine.engine.template_libraries
print(json.dumps(sorted(name for name in sys.modules if name.startswith("live.workers"))))
"""


def test_the_web_process_imports_no_worker_module(tmp_path):
    # A fresh interpreter, as gunicorn starts one: settings, middleware, every URL
    # (so every view and the API), the admin and every template tag library.
    done = subprocess.run(
        [sys.executable, "-c", LOAD_THE_WEB_APP],
        cwd=ROOT,
        env=app_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
