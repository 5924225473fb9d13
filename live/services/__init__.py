"""The rules of teecam that are not HTTP: one module per rule."""
