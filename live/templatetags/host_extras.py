"""Small filters for the host page: actors in words people read."""

from django import template

from live.services.states import actor_label

register = template.Library()


@register.filter(name="actor")
def actor(value):
    return actor_label(value)
