import atexit
import os
from pathlib import Path

import pytest

from tests.processes import PATIENCE

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between browser steps are plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# One Chromium for the whole run. Other folders' conftests import this fixture,
# which gives each folder its own session fixture; Playwright's sync API allows
# only one instance per thread, so they all share the instance made here.
_shared = {}


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh --browser installs it")
    if "browser" not in _shared:
        from playwright.sync_api import sync_playwright

        _shared["playwright"] = sync_playwright().start()
        _shared["browser"] = _shared["playwright"].chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        atexit.register(_close_shared_browser)
    yield _shared["browser"]


def _close_shared_browser():
    if "browser" in _shared:
        _shared.pop("browser").close()
        _shared.pop("playwright").stop()


FAKE_MEDIA_ARGS = [
    "--use-fake-device-for-media-stream=fps=30",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


@pytest.fixture(scope="session")
def camera_browser(browser):
    """A second Chromium, with the fake camera and microphone and no permission prompt."""
    chromium = _shared["playwright"].chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MEDIA_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def camera_context(camera_browser):
    """(make a context, every console line of its pages); fails the test on a CSP
    violation, as ``new_context`` does."""
    contexts, messages = [], []

    def make(**options):
        context = camera_browser.new_context(**options)
        context.set_default_timeout(15_000 * PATIENCE)
        context.on("page", lambda page: page.on("console", lambda m: messages.append(m.text)))
        contexts.append(context)
        return context

    yield make, messages
    for context in contexts:
        context.close()
    assert not [m for m in messages if "Content Security Policy" in m], messages


@pytest.fixture
def fast_polling(settings):
    settings.LIVE_HOST_POLL_SECONDS = 1
    settings.LIVE_VIEWER_POLL_SECONDS = 1
    settings.LIVE_VIEWER_PLAYING_POLL_SECONDS = 1


@pytest.fixture
def new_context(browser):
    """Browser contexts whose pages fail the test on any CSP violation."""
    contexts, violations = [], []

    def watch(page):
        page.on(
            "console",
            lambda message: "Content Security Policy" in message.text
            and violations.append(message.text),
        )

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(15_000 * PATIENCE)
        context.on("page", watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert violations == [], violations


def log_in(page, base_url, username, password, next_path):
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")


PLAYS_JS = (
    "() => document.querySelector('video') && document.querySelector('video').videoWidth > 0"
)


def assert_video_plays(page):
    """Live currentTime starts at the stream's timestamp: require it to advance."""
    page.wait_for_function(PLAYS_JS, timeout=20_000 * PATIENCE)
    first = page.evaluate("document.querySelector('video').currentTime")
    page.wait_for_timeout(2500)
    second = page.evaluate("document.querySelector('video').currentTime")
    assert second - first > 1.0, (first, second)
    assert page.evaluate("document.querySelector('video').videoWidth") > 0


AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-4.14.1.min.js"


def assert_no_axe_violations(page, disable=()):
    """axe-core's WCAG checks on the page as it is now. Playwright injects axe as an
    inline script, which our Content-Security-Policy refuses: open the page in a
    context made with ``bypass_csp=True``."""
    page.add_script_tag(path=str(AXE))
    assert page.evaluate("typeof window.axe") == "object", "axe did not load: bypass_csp=True?"
    # Not halfway through a fade (the player's controls go idle with a 0.4 s opacity
    # transition): axe would measure the contrast of text half faded. Waiting for no
    # transition was not enough: the idle timer could start one while axe ran. With
    # transitions off (which also ends any running one), a change of state is whole at
    # once, and axe skips what is at opacity 0.
    page.add_style_tag(
        content="*, *::before, *::after { transition: none !important; "
        "animation: none !important; }"
    )
    assert page.evaluate(
        "() => document.getAnimations().every((a) => !(a instanceof CSSTransition))"
    ), "a CSS transition still runs"
    violations = page.evaluate(
        """(disabled) => axe.run(document, {
            resultTypes: ['violations'],
            rules: Object.fromEntries(disabled.map((id) => [id, {enabled: false}])),
        }).then((result) => result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.map((node) => node.target.join(' ')),
        })))""",
        list(disable),
    )
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}" for v in violations
    ]
    assert not violations, "axe found:\n" + "\n".join(lines)
