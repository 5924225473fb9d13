import pytest

from live.services.webhooks import create_endpoint
from tests.integrations.receiver import Receiver
from tests.processes import PYTHON, Processes, app_env


@pytest.fixture(autouse=True)
def private_targets_allowed(settings):
    """The receivers run on 127.0.0.1, which production refuses."""
    settings.LIVE_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def procs(transactional_db, tmp_path):
    """Starts processes; stops them at teardown, before the test database is flushed."""
    registry = Processes(tmp_path / "logs")
    yield registry
    registry.close()


@pytest.fixture
def start_worker(procs, data_dir):
    """start_worker(**env) -> the `manage.py deliverwebhooks` process on the test database."""

    def start(**env):
        return procs.start(
            "deliverwebhooks",
            [PYTHON, "manage.py", "deliverwebhooks", "--poll", "0.05"],
            env=app_env(data_dir, LIVE_WEBHOOK_ALLOW_PRIVATE=1, **env),
        )

    return start


@pytest.fixture
def endpoint(receiver, transactional_db):
    return create_endpoint(receiver.url)
