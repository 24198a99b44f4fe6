"""workbench: analytics for online public-opinion incidents (网络舆情事件)."""

__version__ = "0.1.0"
