"""``python -m cnnviz``: the entry point (``main``) and one module per subcommand (``commands``)."""
