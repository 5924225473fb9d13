def test_the_settings_carry_the_test_signing_key(settings):
    assert settings.LIVE_VIEWER_SIGN_KEY.startswith("test-signing-key-")
