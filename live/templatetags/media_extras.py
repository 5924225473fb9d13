"""Media for templates: a live camera's thumbnail as a poster."""

from django import template

from live.services.thumbnails import default_expires, thumbnail_path

register = template.Library()


@register.simple_tag
def thumbnail_url(broadcast, expires=None):
    """``{% thumbnail_url broadcast access %}``: the signed thumbnail path, or "".

    expires: a unix time, a ViewerAccess (its media expiry: a viewer's poster
    lasts as long as its playlist URL), or nothing (staff pages: LIVE_MEDIA_URL_TTL).
    """
    if hasattr(expires, "media_expires"):
        if not expires.can_play:
            return ""
        expires = expires.media_expires()
    return thumbnail_path(broadcast, expires or default_expires()) or ""
