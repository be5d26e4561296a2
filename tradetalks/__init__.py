"""tradetalks: an agent-based simulator of the 2018–2020 US–China trade talks."""

from tradetalks import mesa_startup

__version__ = "0.1.0"

mesa_startup.install()  # before any Mesa import: its logging set-up walks the call stack
