"""Production environment values pass Django's deployment checks; gunicorn's config loads."""

import os
import secrets
import subprocess

import pytest

from tests.processes import BASE_DIR, GUNICORN, PYTHON, tcp_open

pytestmark = [pytest.mark.delivery]

# What a production host sets (docs/operations.md, "Settings"; docs/scaling.md).
PRODUCTION_ENV = {
    "HTTPS_ONLY": "1",
    "ALLOWED_HOSTS": "tee.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://tee.example.com",
    "DEBUG": "0",
}


def production_env(**extra):
    # Nothing from the test run (e.g. DJANGO_ALLOW_ASYNC_UNSAFE, which the check flags).
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    key = secrets.token_urlsafe(36)
    assert len(key) == 48
    return {**env, **PRODUCTION_ENV, "LIVE_VIEWER_SIGN_KEY": key, **extra}


def run(command, env):
    return subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_with_production_values():
    result = run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env()
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_https_only():
    """The check is a real guard: the same values without HTTPS_ONLY are refused."""
    result = run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(HTTPS_ONLY="0"),
    )

    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout  # SECURE_SSL_REDIRECT


def test_the_gunicorn_config_loads_the_app():
    result = run(
        [GUNICORN, "-c", "deploy/gunicorn.conf.py", "--check-config", "teecam.wsgi"],
        production_env(),
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_redis_url_gives_a_working_shared_cache():
    """REDIS_URL switches the cache (rate limits) to Redis: its client must be installed."""
    if not tcp_open(6379):
        pytest.skip("no Redis on 127.0.0.1:6379")
    code = (
        "from django.core.cache import cache; import secrets; k = secrets.token_hex(8); "
        "cache.set(k, 41, 10); cache.incr(k); print(cache.get(k)); cache.delete(k)"
    )
    result = run(
        [PYTHON, "manage.py", "shell", "-c", code],
        production_env(REDIS_URL="redis://127.0.0.1:6379/0"),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "42"
