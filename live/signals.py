from django.dispatch import Signal

# Sent inside the transaction that changes the state; kwargs: broadcast, actor.
broadcast_started = Signal()
broadcast_stopped = Signal()
