"""The interactive Voila dashboard: the widget app and the server that runs it."""
