"""``python -m tradetalks`` runs the command line."""

from tradetalks.cli import main

main()
