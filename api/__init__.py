"""The doors: the HTTP service (FastAPI), the web page and the ``policymatch`` CLI."""
