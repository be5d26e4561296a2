"""tradetalks: an agent-based simulator of the 2018–2020 US–China trade talks."""

__version__ = "0.1.0"
