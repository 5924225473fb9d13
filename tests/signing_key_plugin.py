import os

# The test run's own signing key, set before Django reads its settings.
os.environ.setdefault("LIVE_VIEWER_SIGN_KEY", "test-signing-key-" + "k" * 32)
