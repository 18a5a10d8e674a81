"""Where articles come from: local files (index/load.py), PDF, feeds and web pages."""
