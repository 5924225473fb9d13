"""A resolver stub at the socket layer, for DNS rebinding tests: ``socket.getaddrinfo``
answers chosen names from a JSON file, everything else as usual.

The file maps a name to a list of answers (each a list of IP addresses); every
lookup of the name takes the first answer, and the last one stays: so
``{"hooks.rebind.test": [["93.184.215.14"], ["127.0.0.1"]]}`` resolves to a public
address once and to loopback from then on, which is what a rebinding DNS server
with a zero TTL does. Used in the test process (``install``) and in a real worker
process: ``python -m tests.resolver_stub <manage.py command and arguments>`` with
``TEST_RESOLVER_FILE`` naming the file. Nothing of teecam's code is mocked.
"""

import json
import os
import socket
import sys
import threading
from pathlib import Path

_real_getaddrinfo = socket.getaddrinfo
_lock = threading.Lock()


def write_answers(path, answers):
    Path(path).write_text(json.dumps(answers))


def _next_answer(path, host):
    with _lock:
        try:
            answers = json.loads(Path(path).read_text())
        except FileNotFoundError:
            return None
        queue = answers.get(host)
        if not queue:
            return None
        answer = queue[0]
        if len(queue) > 1:
            answers[host] = queue[1:]
            Path(path).write_text(json.dumps(answers))
        return answer


def install(path):
    """Replaces socket.getaddrinfo; returns a function that puts the real one back."""

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        answer = _next_answer(path, name) if isinstance(name, str) else None
        if answer is None:
            return _real_getaddrinfo(host, port, family, type, proto, flags)
        port = int(port or 0)
        results = []
        for address in answer:
            if ":" in address:
                results.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                results.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return results

    socket.getaddrinfo = getaddrinfo
    return lambda: setattr(socket, "getaddrinfo", _real_getaddrinfo)


if __name__ == "__main__":
    install(os.environ["TEST_RESOLVER_FILE"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teecam.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", *sys.argv[1:]])
