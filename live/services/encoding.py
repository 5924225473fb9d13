import base64


def b64url(raw: bytes) -> str:
    """URL-safe base64 without padding, the form both tokens and nginx use."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
