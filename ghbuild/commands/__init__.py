"""One module per subcommand; see :mod:`ghbuild.cli`."""
